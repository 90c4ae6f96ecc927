package engine

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/testio"
)

// loadWinch precompiles app's fast tier (Winch's) into a new cache and
// loads app cache-only from it, as the app process of a first start.
func loadWinch(t *testing.T, app *lock.LockedApp, env []string) *App {
	t.Helper()
	cache := t.TempDir()
	precompile(t, app, cache, TierFast)
	a, err := loadLock(t, logTo(io.Discard), app, Config{CacheDir: cache, CacheOnly: true, Env: env, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if a.winch == nil {
		t.Fatal("the app did not load the Winch code into a Winch engine")
	}
	return a
}

// The guest guards hold on Winch code: the guest time limit stops an
// endless loop (its instance slot, in the Winch engine's pool, freed), the
// memory cap refuses memory.grow.
func TestWinchCoreGuards(t *testing.T) {
	loop := newLock(t, nil, []testComponent{{id: "c", wasm: watFile(t, spinWAT(loopForever+"\n(i32.const 0)"))}},
		[]testTrigger{{component: "c", route: "/..."}})
	a := loadWinch(t, loop, []string{GuestTimeLimitEnv + "=300ms"})
	logs := &testio.Buffer{}
	start := time.Now()
	w := do(t, a.Handler(), "GET", "/", "", withLog(logs))
	if took := time.Since(start); w.Code != 500 || took > 5*time.Second {
		t.Fatalf("got %d after %v, want 500 soon after the 300ms limit", w.Code, took)
	}
	if !strings.Contains(logs.String(), "over the limit of 300ms") {
		t.Errorf("log does not name the limit: %s", logs)
	}
	if n := a.winch.host.InstancesInUse(); n != 0 {
		t.Errorf("%d Winch instance slots in use after the request", n)
	}

	hog := newLock(t, nil, []testComponent{{id: "c", wasm: watFile(t, spinWAT(`
    (if (i32.eq (memory.grow (i32.const 2048)) (i32.const -1)) (then unreachable)) ;; +128 MiB
    `+echoHandler(200)))}}, []testTrigger{{component: "c", route: "/..."}})
	capped := loadWinch(t, hog, []string{MaxInstanceMemoryEnv + "=16MiB"})
	if w := do(t, capped.Handler(), "GET", "/", ""); w.Code != 500 {
		t.Errorf("capped: status %d, want 500", w.Code)
	}
	free := loadWinch(t, hog, nil)
	if w := do(t, free.Handler(), "GET", "/", ""); w.Code != 200 {
		t.Errorf("uncapped: status %d, want 200", w.Code)
	}
}

// TestModuleTierUpFromCraneliftFast: where Winch is not usable the fast
// tier is Cranelift's, whose code the Cranelift engine runs and tiers up
// in place, with no Winch engine.
func TestModuleTierUpFromCraneliftFast(t *testing.T) {
	ctx := context.Background()
	app := newLock(t, nil, []testComponent{{id: "c", wasm: appPath("hello.wasm")}}, []testTrigger{{component: "c", route: "/..."}})
	cache := t.TempDir()
	wasm := mustRead(t, appPath("hello.wasm"))
	fast, err := capi.NewModuleCompileEngine(capi.Fast)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	if _, _, err := capi.PrecompileModule(ctx, fast, wasm, sha256.Sum256(wasm), capi.NewCache(cache), capi.Fast); err != nil {
		t.Fatal(err)
	}
	var logs testio.Buffer
	a, err := loadLock(t, logTo(&logs), app, Config{CacheDir: cache, CacheOnly: true, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	expect(t, do(t, a.Handler(), http.MethodGet, "/", ""), 200, "hello from spinoci\n")
	if !strings.Contains(logs.String(), "tier=fast") || a.winch != nil || !a.RunsFastCode() {
		t.Fatalf("the app did not load Cranelift's fast code into its Cranelift engine (Winch engine %v):\n%s", a.winch != nil, &logs)
	}
	precompile(t, app, cache, TierOptimized)
	waitForLog(t, &logs, "serving the optimised code")
	expect(t, do(t, a.Handler(), http.MethodGet, "/", ""), 200, "hello from spinoci\n")
}

// TestWinchCannotCompileFallsBack: a module Winch cannot compile (tail
// calls) gets Cranelift's fast tier instead, with a log line, and its
// first start runs that in the Cranelift engine.
func TestWinchCannotCompileFallsBack(t *testing.T) {
	wat := strings.Replace(spinWAT(`
    (if (i32.eqz (local.get $method)) ;; GET: once more, as a tail call
      (then (return_call $h (i32.const 1) (local.get $uri) (local.get $uri_len) (local.get $hdr) (local.get $hdr_len)
        (i32.const 0) (i32.const 0) (i32.const 0) (local.get $body) (local.get $body_len))))
    `+echoHandler(200)), `(func (export "handle-http-request")`, `(func $h (export "handle-http-request")`, 1)
	app := newLock(t, nil, []testComponent{{id: "c", wasm: watFile(t, wat)}}, []testTrigger{{component: "c", route: "/..."}})
	local, err := appdir.FromLocal(app)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	var logs testio.Buffer
	res, err := Precompile(logTo(&logs), local, nil, cache, TierFast)
	if err != nil || res != (Precompiled{Compiled: 1, Fast: 1}) {
		t.Fatalf("fast stage: %+v, %v", res, err)
	}
	if !strings.Contains(logs.String(), "Winch cannot compile the wasm: compiling the fast tier with Cranelift") {
		t.Errorf("the fallback is not logged:\n%s", &logs)
	}
	a, err := loadLock(t, logTo(io.Discard), app, Config{CacheDir: cache, CacheOnly: true, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.winch != nil || !a.RunsFastCode() {
		t.Errorf("Winch engine %v, RunsFastCode %v: want Cranelift's fast code", a.winch != nil, a.RunsFastCode())
	}
	expect(t, do(t, a.Handler(), http.MethodGet, "/", "hi"), 200, "hi")
}

// A failure around Winch's compilation (here: the cache cannot be written)
// is the stage's error: it is not taken for wasm Winch cannot compile, so
// Cranelift does not compile the wasm again only to fail the same way.
func TestWinchFallbackOnlyForCompileErrors(t *testing.T) {
	app := newLock(t, nil, []testComponent{{id: "c", wasm: watFile(t, spinWAT(echoHandler(200)))}}, []testTrigger{{component: "c", route: "/..."}})
	local, err := appdir.FromLocal(app)
	if err != nil {
		t.Fatal(err)
	}
	notADir := filepath.Join(t.TempDir(), "cache")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var logs testio.Buffer
	if _, err := Precompile(logTo(&logs), local, nil, notADir, TierFast); err == nil {
		t.Fatal("a compile stage whose cache is a file succeeded")
	}
	if strings.Contains(logs.String(), "Winch cannot compile") {
		t.Errorf("a cache failure was taken for wasm Winch cannot compile:\n%s", &logs)
	}
}
