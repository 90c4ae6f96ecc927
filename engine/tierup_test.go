package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/testio"
)

// precompile runs Precompile on the local lock app.
func precompile(t *testing.T, app *lock.LockedApp, cache string, tier CompileTier) Precompiled {
	t.Helper()
	local, err := appdir.FromLocal(app)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Precompile(context.Background(), local, nil, cache, tier)
	if err != nil {
		t.Fatalf("Precompile(%s): %v", tier, err)
	}
	return res
}

// waitForLog waits until buf holds want.
func waitForLog(t *testing.T, buf *testio.Buffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log:\n%s", want, buf)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestModuleTierUp: an app started on the fast code (Winch's) its compile
// stage cached serves with it, and moves to the optimised code once an
// optimising stage has cached it; a start that finds the optimised code
// makes no Winch engine.
func TestModuleTierUp(t *testing.T) {
	app := newLock(t, nil, []testComponent{{id: "c", wasm: appPath("hello.wasm")}}, []testTrigger{{component: "c", route: "/..."}})
	cache := t.TempDir()
	if res := precompile(t, app, cache, TierFast); res != (Precompiled{Compiled: 1, Fast: 1}) {
		t.Fatalf("fast stage: %+v", res)
	}
	// The optimised code is still missing: the next stage says so again.
	if res := precompile(t, app, cache, TierFast); res != (Precompiled{Fast: 1}) {
		t.Fatalf("second fast stage: %+v", res)
	}
	var logs testio.Buffer
	a, err := loadLock(t, logTo(&logs), app, Config{CacheDir: cache, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	expect(t, do(t, a.Handler(), http.MethodGet, "/", ""), 200, "hello from spinoci\n")
	if !strings.Contains(logs.String(), "tier=winch") || a.winch == nil {
		t.Fatalf("the app did not load the Winch code into a Winch engine:\n%s", &logs)
	}
	if !a.RunsFastCode() {
		t.Error("RunsFastCode = false for an app on fast code: no optimising stage would follow")
	}
	// A cache-only load (a warm start) finds the fast code too and says so.
	warm, err := loadLock(t, logTo(io.Discard), app, Config{CacheDir: cache, CacheOnly: true, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatalf("cache-only load of fast code: %v", err)
	}
	if !warm.RunsFastCode() {
		t.Error("RunsFastCode = false for a cache-only load of fast code")
	}
	warm.Close()
	if res := precompile(t, app, cache, TierOptimized); res != (Precompiled{Compiled: 1}) {
		t.Fatalf("optimising stage: %+v", res)
	}
	waitForLog(t, &logs, "serving the optimised code")
	for range 3 {
		expect(t, do(t, a.Handler(), http.MethodGet, "/", ""), 200, "hello from spinoci\n")
	}
	if res := precompile(t, app, cache, TierFast); res != (Precompiled{}) {
		t.Fatalf("fast stage with optimised code cached: %+v", res)
	}
	warm, err = loadLock(t, logTo(io.Discard), app, Config{CacheDir: cache, CacheOnly: true, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatalf("cache-only load of optimised code: %v", err)
	}
	defer warm.Close()
	if warm.RunsFastCode() {
		t.Error("RunsFastCode = true with the optimised code cached")
	}
	if warm.winch != nil {
		t.Error("a start with the optimised code cached made a Winch engine")
	}
}

// TestComponentTierUp is TestModuleTierUp for the JS component. The
// optimised code comes from the shared cache (compiled once across tests).
func TestComponentTierUp(t *testing.T) {
	wasm := builtApp(t, "js-hello.wasm")
	app := newLock(t, nil, []testComponent{{id: "c", wasm: wasm}}, []testTrigger{{component: "c", route: "/..."}})
	cache := t.TempDir()
	if res := precompile(t, app, cache, TierFast); res.Compiled != 1 {
		t.Fatalf("fast stage: %+v", res)
	}
	var logs testio.Buffer
	a, err := loadLock(t, logTo(&logs), app, Config{CacheDir: cache, PoolRenewIdle: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	expect(t, do(t, a.Handler(), http.MethodGet, "/", ""), 200, "hello universe")
	if !strings.Contains(logs.String(), "tier=winch") || a.components.winch == nil {
		t.Fatalf("the app did not load the Winch code into a Winch engine:\n%s", &logs)
	}
	shared := sharedComponentCache()
	precompile(t, app, shared, TierOptimized)
	optimized, err := filepath.Glob(filepath.Join(shared, sha256Hex(mustRead(t, wasm))+"-*"))
	if err != nil || len(optimized) == 0 {
		t.Fatalf("optimised entry in %s: %v, %v", shared, optimized, err)
	}
	for _, f := range optimized {
		copyFile(t, f, filepath.Join(cache, filepath.Base(f)))
	}
	waitForLog(t, &logs, "serving the optimised code")
	for range 3 {
		expect(t, do(t, a.Handler(), http.MethodGet, "/", ""), 200, "hello universe")
	}
	// Idle, both engines having been used, the App renews its pool: the
	// Winch engine goes with it.
	r := a.components
	if err := waitUntil(10*time.Second, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.winch == nil
	}); err != nil {
		t.Fatalf("the Winch engine stays once the app is idle: %v", err)
	}
	expect(t, do(t, a.Handler(), http.MethodGet, "/", ""), 200, "hello universe")
	warm, err := loadLock(t, logTo(io.Discard), app, Config{CacheDir: cache, CacheOnly: true})
	if err != nil {
		t.Fatalf("cache-only load of optimised code: %v", err)
	}
	defer warm.Close()
	if warm.RunsFastCode() || warm.components.winch != nil {
		t.Errorf("a start with the optimised code cached: RunsFastCode %v, Winch engine %v", warm.RunsFastCode(), warm.components.winch != nil)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// copyFile copies src to dst atomically (as the compile stage writes).
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, mustRead(t, src), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestTierUpInFlight: a request in flight when the optimised code is
// swapped in finishes on the Winch code it started on (kept loaded, in
// its Winch engine), while requests that come after it run the optimised
// code; both answer.
func TestTierUpInFlight(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			entered <- struct{}{}
			<-release
		}
		fmt.Fprintf(w, "done %s", r.URL.Path)
	}))
	defer target.Close()
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	app := hostLock(t, hostApp{metadata: map[string]any{"allowed_outbound_hosts": []string{target.URL}}})
	cache := t.TempDir()
	if res := precompile(t, app, cache, TierFast); res != (Precompiled{Compiled: 1, Fast: 1}) {
		t.Fatalf("fast stage: %+v", res)
	}
	var logs testio.Buffer
	a, err := loadLock(t, logTo(&logs), app, Config{CacheDir: cache, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.winch == nil {
		t.Fatalf("the app did not load the Winch code:\n%s", &logs)
	}
	inFlight := make(chan *httptest.ResponseRecorder, 1)
	go func() { inFlight <- do(t, a.Handler(), "GET", "/host/outbound", "", outboundReq(target.URL+"/hold")) }()
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the first request never reached the outbound target")
	}
	if res := precompile(t, app, cache, TierOptimized); res != (Precompiled{Compiled: 1}) {
		t.Fatalf("optimising stage: %+v", res)
	}
	waitForLog(t, &logs, "serving the optimised code")
	answered := func(w *httptest.ResponseRecorder, path string) {
		t.Helper()
		if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "status=200\n") || !strings.HasSuffix(w.Body.String(), "done "+path) {
			t.Fatalf("request for %s: got %d %q", path, w.Code, w.Body)
		}
	}
	answered(do(t, a.Handler(), "GET", "/host/outbound", "", outboundReq(target.URL+"/after")), "/after")
	close(release)
	released = true
	select {
	case w := <-inFlight:
		answered(w, "/hold")
	case <-time.After(30 * time.Second):
		t.Fatal("the request in flight during the move never finished")
	}
}
