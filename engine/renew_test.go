package engine

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	componentexec "github.com/spinoci/spinoci/engine/executor/component"
	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/engine/wasip2"
)

// TestIdlePoolRenewed: after a burst of concurrent requests a JS
// component's instance pool keeps each slot's memory; once the app has
// been idle for PoolRenewIdle its code moves to a fresh engine, the old
// one closes and that memory is given back, and requests go on being
// served.
func TestIdlePoolRenewed(t *testing.T) {
	var logs bytes.Buffer
	app := newLock(t, nil, []testComponent{{id: "c", wasm: builtApp(t, "js-hello.wasm")}}, []testTrigger{{component: "c", route: "/..."}})
	a, err := loadLock(t, logTo(&logs), app, Config{CacheDir: sharedComponentCache(), PoolRenewIdle: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	code := a.router.routes[0].handler.exec.(*componentexec.Executor).Code()
	old := code.Load().Engine
	if a.components.linker == nil || old != a.components.engine {
		t.Fatal("the component does not run the optimised code of the App's engine")
	}
	before := anonMemory(t)
	const burst = 12
	for _, peak, _ := old.Usage(); peak < burst/2; _, peak, _ = old.Usage() {
		concurrently(burst, func() { expect(t, do(t, a.Handler(), http.MethodGet, "/", ""), 200, "hello universe") })
	}
	_, peak, _ := old.Usage()
	busy := anonMemory(t)
	t.Logf("anonymous memory %d MiB before the bursts, %d MiB after (%d calls at once)", before>>20, busy>>20, peak)

	deadline := time.Now().Add(20 * time.Second)
	for code.Load().Engine == old {
		if time.Now().After(deadline) {
			t.Fatalf("the pool was not renewed; log:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.components.renew.retiring.Wait()
	idle := anonMemory(t)
	t.Logf("anonymous memory %d MiB once renewed", idle>>20)
	// Each slot used kept at least the component's first few MiB.
	if freed := busy - idle; freed < int64(peak)<<20 {
		t.Errorf("renewing the pool freed %d KiB, want at least 1 MiB per slot used (%d)", freed>>10, peak)
	}
	if a.components.engine == old || code.Load().Engine != a.components.engine {
		t.Error("the App's engine is not the component's new one")
	}
	for _, e := range a.epochs.engines {
		if e == old {
			t.Error("the old engine's epoch still advances")
		}
	}
	expect(t, do(t, a.Handler(), http.MethodGet, "/", ""), 200, "hello universe")
	if _, peak, _ := a.components.engine.Usage(); peak != 1 {
		t.Errorf("the new engine ran %d calls at once, want the 1 request since", peak)
	}
}

// TestPoolNotRenewed: the pool stays when renewing gains little (one call
// at a time; a small component) or is turned off.
func TestPoolNotRenewed(t *testing.T) {
	for _, tc := range []struct {
		name, wasm string
		concurrent int
		idle       time.Duration
	}{
		{"one call at a time", "js-hello.wasm", 1, 100 * time.Millisecond},
		{"small component", "tinygo-status.wasm", 8, 100 * time.Millisecond},
		{"turned off", "js-hello.wasm", 8, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := singleApp(t, builtApp(t, tc.wasm), "/...", nil, Config{CacheDir: sharedComponentCache(), PoolRenewIdle: tc.idle})
			code := a.router.routes[0].handler.exec.(*componentexec.Executor).Code()
			old := code.Load().Engine
			for range 3 {
				concurrently(tc.concurrent, func() { do(t, a.Handler(), http.MethodGet, "/", "") })
			}
			time.Sleep(time.Second)
			if code.Load().Engine != old {
				t.Error("the pool was renewed")
			}
		})
	}
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
func anonMemory(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "RssAnon:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no RssAnon in /proc/self/status")
	return 0
}
