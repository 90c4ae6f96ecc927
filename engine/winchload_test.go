package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/testio"
)

// TestSpin08ModuleTierUp: a Spin SDK 1.4/1.5 module (wit-bindgen 0.8, Spin
// 1.x ABI) started on its Winch code serves with it and moves to its
// optimised code once an optimising stage cached it. Its fermyon:spin
// import that no host implements (mqtt publish) is linked as a trap on the
// Winch Host and, for the move, on the Cranelift Host: without it the
// optimised code would not instantiate. Config and key-value imports work
// on either code.
func TestSpin08ModuleTierUp(t *testing.T) {
	wat := strings.Replace(sdk14WAT(t), `(import "fermyon:spin/redis" "publish"`, `(import "fermyon:spin/mqtt" "publish"`, 1)
	app := sdk14Lock(t, wat)
	cache := t.TempDir()
	if res := precompile(t, app, cache, TierFast); res != (Precompiled{Compiled: 1, Fast: 1}) {
		t.Fatalf("fast stage: %+v", res)
	}
	var logs testio.Buffer
	a, err := loadLock(t, logTo(&logs), app, Config{CacheDir: cache, CacheOnly: true, StateDir: t.TempDir(), Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.winch == nil || !a.RunsFastCode() {
		t.Fatalf("Winch engine %v, RunsFastCode %v: want the Winch code loaded", a.winch != nil, a.RunsFastCode())
	}
	expect(t, do(t, a.Handler(), http.MethodPost, "/sdk14/x", "winch"), http.StatusCreated, "hello 1.4|/sdk14/x|winch")

	if res := precompile(t, app, cache, TierOptimized); res != (Precompiled{Compiled: 1}) {
		t.Fatalf("optimising stage: %+v", res)
	}
	waitForLog(t, &logs, "serving the optimised code")
	for range 3 {
		expect(t, do(t, a.Handler(), http.MethodPost, "/sdk14/y", "optimised"), http.StatusCreated, "hello 1.4|/sdk14/y|optimised")
	}
	// The key-value store written on the Winch code is read back on the
	// optimised code.
	expect(t, do(t, a.Handler(), http.MethodGet, "/sdk14/", ""), http.StatusOK, "hello 1.4|/sdk14/|")
	if a.core.InstancesInUse() != 0 || a.winch.host.InstancesInUse() != 0 {
		t.Errorf("instance slots in use after the requests: Cranelift %d, Winch %d", a.core.InstancesInUse(), a.winch.host.InstancesInUse())
	}

	warm, err := loadLock(t, logTo(io.Discard), app, Config{CacheDir: cache, CacheOnly: true, StateDir: t.TempDir(), Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatalf("cache-only load of the optimised code: %v", err)
	}
	defer warm.Close()
	if warm.winch != nil || warm.RunsFastCode() {
		t.Errorf("a start with the optimised code cached: Winch engine %v, RunsFastCode %v", warm.winch != nil, warm.RunsFastCode())
	}
}

// winchEntry returns the code and checksum files of the Winch entry of
// wasm in cache (the only entry of wasm there).
func winchEntry(t *testing.T, cache, wasm string) (code, sum string) {
	t.Helper()
	b := mustRead(t, wasm)
	s := sha256.Sum256(b)
	files, err := filepath.Glob(filepath.Join(cache, hex.EncodeToString(s[:])+"-*.cwasm"))
	if err != nil || len(files) != 1 {
		t.Fatalf("entries of %s in %s: %v, %v; want the Winch one", wasm, cache, files, err)
	}
	return files[0], strings.TrimSuffix(files[0], ".cwasm") + ".sum"
}

// TestCorruptWinchEntry: a Winch entry whose code is not what its checksum
// file says (cut short, or garbage of its size) is never loaded: a start
// that may compile compiles the wasm (Cranelift's optimised code, with a
// warning), a cache-only start fails with ErrNotCached; the process goes
// on. For a core module and a component.
func TestCorruptWinchEntry(t *testing.T) {
	for _, kind := range []struct {
		name, wasm, route, want string
	}{
		{"module", appPath("hello.wasm"), "/", "hello from spinoci\n"},
		{"component", watComponent(t, "inbound-http"), "/x", "/x"},
	} {
		for _, corrupt := range []struct {
			name string
			data func(code []byte) []byte
		}{
			{"truncated", func(code []byte) []byte { return code[:len(code)/2] }},
			{"garbage", func(code []byte) []byte { return []byte(strings.Repeat("\x00garbage", len(code)/8+1))[:len(code)] }},
		} {
			t.Run(kind.name+"/"+corrupt.name, func(t *testing.T) {
				app := newLock(t, nil, []testComponent{{id: "c", wasm: kind.wasm}}, []testTrigger{{component: "c", route: "/..."}})
				cache := t.TempDir()
				precompile(t, app, cache, TierFast)
				code, _ := winchEntry(t, cache, kind.wasm)
				if err := os.WriteFile(code, corrupt.data(mustRead(t, code)), 0o600); err != nil {
					t.Fatal(err)
				}
				cfg := Config{CacheDir: cache, CacheOnly: true, Stdout: io.Discard, Stderr: io.Discard}
				if a, err := loadLock(t, logTo(io.Discard), app, cfg); !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "Winch code") {
					if err == nil {
						a.Close()
					}
					t.Fatalf("cache-only load: %v, want ErrNotCached naming the Winch code", err)
				}
				var logs testio.Buffer
				cfg.CacheOnly = false
				a, err := loadLock(t, logTo(&logs), app, cfg)
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				defer a.Close()
				for _, want := range []string{"ignoring unusable " + kind.name + " cache entry", "compiling the " + kind.name + " instead of loading its Winch code"} {
					if !strings.Contains(logs.String(), want) {
						t.Errorf("no %q in the log:\n%s", want, &logs)
					}
				}
				if a.RunsFastCode() {
					t.Error("RunsFastCode: want the optimised code compiled")
				}
				expect(t, do(t, a.Handler(), http.MethodGet, kind.route, ""), http.StatusOK, kind.want)
			})
		}
	}
}

// TestTriggerComponentRunsFastCode: a trigger's component (Redis, MQTT,
// command; a component or a Spin 1.x module), loaded after Load from the
// Winch code of a first start, makes RunsFastCode true (the shim then runs
// an optimising stage), and handles its messages; loaded from optimised
// code, it leaves RunsFastCode false and makes no Winch engine.
func TestTriggerComponentRunsFastCode(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, trigger, wasm string
		run                 func(*App) error
	}{
		{"redis component", "redis", watComponent(t, "inbound-redis"), func(a *App) error {
			h, err := a.RedisHandler(ctx, "c")
			if err == nil {
				err = h.HandleMessage(ctx, "ch", []byte("ping"))
			}
			return err
		}},
		{"redis module", "redis", appPath("redis-spin1.wasm"), func(a *App) error {
			h, err := a.RedisHandler(ctx, "c")
			if err == nil {
				err = h.HandleMessage(ctx, "ch", []byte("hello"))
			}
			return err
		}},
		{"mqtt component", "mqtt", mqttHandler(t), func(a *App) error {
			h, err := a.MQTTHandler(ctx, "c")
			if err == nil {
				err = h.HandleMessage(ctx, "sensors/t1", []byte("21.5"))
			}
			return err
		}},
		{"command component", "command", cliRunComponent(t, `(i32.const 0)`), func(a *App) error {
			c, err := a.Command(ctx, "c")
			if err == nil {
				var status int
				if status, err = c.Run(ctx); status != 0 && err == nil {
					err = errors.New("exit status not 0")
				}
			}
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := triggerLock(t, tc.trigger, tc.wasm, nil)
			cache := t.TempDir()
			precompile(t, app, cache, TierFast)
			a := loadCacheOnly(t, app, cache)
			if a.RunsFastCode() {
				t.Fatal("RunsFastCode before any trigger component was loaded")
			}
			if err := tc.run(a); err != nil {
				t.Fatal(err)
			}
			if !a.RunsFastCode() || !loadedWinch(a) {
				t.Errorf("from Winch code: RunsFastCode %v, Winch engine %v; want both", a.RunsFastCode(), loadedWinch(a))
			}

			precompile(t, app, cache, TierOptimized)
			b := loadCacheOnly(t, app, cache)
			if err := tc.run(b); err != nil {
				t.Fatal(err)
			}
			if b.RunsFastCode() || loadedWinch(b) {
				t.Errorf("from optimised code: RunsFastCode %v, Winch engine %v; want neither", b.RunsFastCode(), loadedWinch(b))
			}
		})
	}
}

// loadCacheOnly loads app cache-only from cache, closed at the test's end.
func loadCacheOnly(t *testing.T, app *lock.LockedApp, cache string) *App {
	t.Helper()
	a, err := loadLock(t, logTo(io.Discard), app, Config{CacheDir: cache, CacheOnly: true, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// loadedWinch reports whether a made a Winch engine (for modules or
// components).
func loadedWinch(a *App) bool {
	return a.winch != nil || (a.components != nil && a.components.winch != nil)
}

// triggerLock is the lock of triggerApp.
func triggerLock(t *testing.T, triggerType, wasm string, env map[string]string) *lock.LockedApp {
	t.Helper()
	return writeLock(t, map[string]any{
		"spin_lock_version": 1,
		"metadata":          map[string]any{"name": "triggers", "triggers": map[string]any{"redis": map[string]any{"address": "redis://127.0.0.1:1"}}},
		"triggers": []any{map[string]any{"id": "t", "trigger_type": triggerType,
			"trigger_config": map[string]any{"component": "c", "channel": "ch", "topic": "tp"}}},
		"components": []any{map[string]any{
			"id": "c", "env": env,
			"source": map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(wasm)},
		}},
	})
}
