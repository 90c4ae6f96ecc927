package engine

import (
	"bytes"
	"context"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/engine/wasip2"
	"github.com/spinoci/spinoci/test/testio"
)

// TestIdlePoolRenewed: after bursts of concurrent requests an app's
// instance pool keeps each slot's memory; once the app has been idle for
// PoolRenewIdle its code moves to a fresh engine, the old one closes and
// that memory is given back, and requests go on being served. For a JS
// component and for a Go (wasip1) Spin 1.x module. Some requests' clients
// go away mid-call, as when a load test stops: the errors of their
// interrupted guests hold the old engine until collected, and an idle app
// collects nothing by itself, so the memory must be back once the renewal
// has retired the old engine, without waiting.
func TestIdlePoolRenewed(t *testing.T) {
	for _, tc := range []struct {
		// wasm answers GET / with a body starting with prefix.
		wasm, prefix string
		// engine is the engine the app's code runs on, and how many
		// calls it ran at once.
		engine func(a *App) (any, int)
	}{
		{"js-hello.wasm", "hello universe", func(a *App) (any, int) {
			r := a.components
			r.mu.Lock()
			defer r.mu.Unlock()
			_, peak, _ := r.engine.Usage()
			return r.engine, peak
		}},
		{"spin-go.wasm", "spin-go: ", func(a *App) (any, int) {
			a.modulesMu.Lock()
			defer a.modulesMu.Unlock()
			_, peak, _ := a.core.Usage()
			return a.engine, peak
		}},
	} {
		t.Run(tc.wasm, func(t *testing.T) {
			var logs bytes.Buffer
			app := newLock(t, nil, []testComponent{{id: "c", wasm: builtApp(t, tc.wasm)}}, []testTrigger{{component: "c", route: "/..."}})
			a, err := loadLock(t, logTo(&logs), app, Config{CacheDir: sharedComponentCache(), PoolRenewIdle: 500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			// The renewal of another cause, fitting a module's memory
			// reset under load (TestModulesResetFitted), comes first.
			for range fitAfterCalls {
				getPrefix(t, a, tc.prefix)
			}
			waitResetFitted(t, a)
			old, _ := tc.engine(a)
			before := anonMemory(t)
			const burst = 12
			for _, peak := tc.engine(a); peak < burst/2; _, peak = tc.engine(a) {
				concurrently(burst, func() { getPrefix(t, a, tc.prefix) })
			}
			for i := range 3 {
				concurrently(burst, func() { getGoneAway(t, a, time.Duration(1+i)*time.Millisecond) })
			}
			_, peak := tc.engine(a)
			busy := anonMemory(t)
			t.Logf("anonymous memory %d MiB before the bursts, %d MiB after (%d calls at once)", before>>20, busy>>20, peak)

			deadline := time.Now().Add(20 * time.Second)
			for now, _ := tc.engine(a); now == old; now, _ = tc.engine(a) {
				if time.Now().After(deadline) {
					t.Fatalf("the pool was not renewed; log:\n%s", logs.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			a.components.renew.retiring.Wait()
			a.moduleRenew.retiring.Wait()
			// Each slot used kept at least the guest's first MiB or so.
			if freed, want := busy-anonMemory(t), int64(peak)<<19; freed < want {
				t.Errorf("renewing the pool freed %d KiB, want at least 512 KiB per slot used (%d)", freed>>10, peak)
			}
			t.Logf("anonymous memory %d MiB once renewed", anonMemory(t)>>20)
			a.epochs.mu.Lock()
			for _, e := range a.epochs.engines {
				if e == old {
					t.Error("the old engine's epoch still advances")
				}
			}
			a.epochs.mu.Unlock()
			getPrefix(t, a, tc.prefix)
			if _, peak := tc.engine(a); peak != 1 {
				t.Errorf("the new engine ran %d calls at once, want the 1 request since", peak)
			}
		})
	}
}

// TestIdlePoolRenewedAfterTierUp: an app started on Winch's code, moved to
// the optimised code, renews its pool once idle: the Winch engine and the
// first Cranelift engine are freed, their pools unmapped. (Each pooled
// engine reserves terabytes of address space for its memories: the
// process's virtual size tells how many pools are mapped.)
func TestIdlePoolRenewedAfterTierUp(t *testing.T) {
	app := newLock(t, nil, []testComponent{{id: "c", wasm: appPath("spin-go.wasm")}}, []testTrigger{{component: "c", route: "/..."}})
	cache := t.TempDir()
	precompile(t, app, cache, TierFast)
	// Earlier tests' engines may be held by garbage until it is collected:
	// their pools go first, so that they are not counted as this App's.
	runtime.GC()
	time.Sleep(200 * time.Millisecond)
	before := virtualSize(t)
	var logs testio.Buffer
	a, err := loadLock(t, logTo(&logs), app, Config{CacheDir: cache, PoolRenewIdle: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	concurrently(8, func() { getPrefix(t, a, "spin-go: ") })
	loaded := virtualSize(t)
	pool := (loaded - before) / 2 // the Winch and the Cranelift engine's
	if pool < 1<<40 {
		t.Fatalf("Load reserved %d GiB, want two instance pools of terabytes", (loaded-before)>>30)
	}
	precompile(t, app, cache, TierOptimized)
	waitForLog(t, &logs, "serving the optimised code")
	if err := waitUntil(10*time.Second, func() bool {
		a.modulesMu.Lock()
		defer a.modulesMu.Unlock()
		return a.winch == nil
	}); err != nil {
		t.Fatalf("the pool was not renewed once idle: %v", err)
	}
	a.moduleRenew.retiring.Wait()
	// Two pools unmapped, one mapped.
	if err := waitUntil(5*time.Second, func() bool { return virtualSize(t) <= loaded-pool/2 }); err != nil {
		t.Errorf("virtual size %d GiB once renewed, %d GiB before: an old engine's pool is still mapped", virtualSize(t)>>30, loaded>>30)
	}
	getPrefix(t, a, "spin-go: ")
}

// virtualSize is the test process's virtual memory size, in bytes.
func virtualSize(t *testing.T) int64 { return ownStatusBytes(t, "VmSize") }

// TestPoolNotRenewed: the pool stays when renewing gains little (one call
// at a time; a small component or module) or is turned off.
func TestPoolNotRenewed(t *testing.T) {
	for _, tc := range []struct {
		name, wasm string
		concurrent int
		idle       time.Duration
	}{
		{"one call at a time", "js-hello.wasm", 1, 100 * time.Millisecond},
		{"one call at a time, module", "spin-go.wasm", 1, 100 * time.Millisecond},
		{"small component", "tinygo-status.wasm", 8, 100 * time.Millisecond},
		{"small module", "hello.wasm", 8, 100 * time.Millisecond},
		{"turned off", "js-hello.wasm", 8, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := singleApp(t, builtApp(t, tc.wasm), "/...", nil, Config{CacheDir: sharedComponentCache(), PoolRenewIdle: tc.idle})
			// (Too few calls for a renewal that fits a module's memory
			// reset: TestModulesResetFitted.)
			old := engines(a)
			for range 3 {
				concurrently(tc.concurrent, func() { do(t, a.Handler(), http.MethodGet, "/", "") })
				// A large guest's instance is released after the response:
				// the next request would take another slot meanwhile.
				a.components.wait()
				a.core.Wait()
			}
			time.Sleep(time.Second)
			if engines(a) != old {
				t.Error("the pool was renewed")
			}
		})
	}
}

// engines are a's engines of components and of core modules.
func engines(a *App) [2]any {
	a.components.mu.Lock()
	defer a.components.mu.Unlock()
	a.modulesMu.Lock()
	defer a.modulesMu.Unlock()
	return [2]any{a.components.engine, a.engine}
}

// TestCallsFinishOnARetiredEngine: a call that started before the swap
// keeps its engine until it ends; calls after it find the new code.
func TestCallsFinishOnARetiredEngine(t *testing.T) {
	old, fresh := capi.NewEngine(), capi.NewEngine()
	defer old.Close()
	defer fresh.Close()
	var code wasip2.HandlerSwap
	code.Store(&wasip2.Handler{Engine: old})
	h, done := code.Acquire()
	code.UpgradeTo(fresh, nil, nil)
	drained := old.Retire()
	if h.Engine != old {
		t.Fatal("the call did not start on the old engine")
	}
	select {
	case <-drained:
		t.Fatal("the old engine drained while a call runs on it")
	default:
	}
	if h2, done2 := code.Acquire(); h2.Engine != fresh {
		t.Error("a call after the swap runs on the retired engine")
	} else {
		done2()
	}
	done()
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		t.Fatal("the old engine did not drain when its call ended")
	}
	if old.Use() {
		t.Error("a retired engine took a call")
	}
}

// getPrefix checks that a answers GET / with a body starting with prefix.
func getPrefix(t *testing.T, a *App, prefix string) {
	t.Helper()
	if w := do(t, a.Handler(), http.MethodGet, "/", ""); w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), prefix) {
		t.Errorf("GET / = %d %q, want 200 %q…", w.Code, w.Body, prefix)
	}
}

// getGoneAway requests GET / from a and goes away after wait, most often
// while the guest runs (its call is interrupted and fails; the handler
// aborts, as net/http's server expects of a response that cannot be sent).
func getGoneAway(t *testing.T, a *App, wait time.Duration) {
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	defer func() {
		if r := recover(); r != nil && r != http.ErrAbortHandler {
			panic(r)
		}
	}()
	do(t, a.Handler(), http.MethodGet, "/", "", func(r *http.Request) { *r = *r.WithContext(ctx) })
}

// concurrently runs f n times at once.
func concurrently(n int, f func()) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			f()
		})
	}
	close(start)
	wg.Wait()
}

// anonMemory is the test process's resident anonymous memory, in bytes.
func anonMemory(t *testing.T) int64 { return ownStatusBytes(t, "RssAnon") }

// ownStatusBytes is field of the test process's /proc status, in bytes.
func ownStatusBytes(t *testing.T, field string) int64 {
	t.Helper()
	n, err := testio.ProcStatusBytes(0, field)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
