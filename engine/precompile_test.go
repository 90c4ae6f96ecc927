package engine

import (
	"os"
	"testing"

	"github.com/spinoci/spinoci/artifact/appdir"
)

// TestOptimisingPrecompileReadsEveryWasmFirst: at the optimised tier,
// Precompile reads every component's wasm, says so (OnInputsRead), and
// compiles them all even when the files are gone from then on — the shim
// removes a deleted task's app directory once the stage has said so. The
// fast tier, which the start waits for, does not say it.
func TestOptimisingPrecompileReadsEveryWasmFirst(t *testing.T) {
	wasmA, wasmB := watFile(t, spinWAT(echoHandler(200))), watFile(t, spinWAT(echoHandler(201)))
	app := newLock(t, nil, []testComponent{{id: "a", wasm: wasmA}, {id: "b", wasm: wasmB}},
		[]testTrigger{{component: "a", route: "/a"}, {component: "b", route: "/b"}})
	local, err := appdir.FromLocal(app)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	removeInputs := OnInputsRead(func() {
		calls++
		for _, path := range []string{wasmA, wasmB} {
			if err := os.Remove(path); err != nil {
				t.Error(err)
			}
		}
	})
	res, err := Precompile(t.Context(), local, nil, t.TempDir(), TierOptimized, removeInputs)
	if err != nil || res.Compiled != 2 {
		t.Fatalf("optimising precompile with its inputs removed once read: %+v, %v", res, err)
	}
	if calls != 1 {
		t.Errorf("OnInputsRead's func was called %d times, want once", calls)
	}

	fast := newLock(t, nil, []testComponent{{id: "a", wasm: watFile(t, spinWAT(echoHandler(200)))}}, []testTrigger{{component: "a", route: "/..."}})
	if local, err = appdir.FromLocal(fast); err != nil {
		t.Fatal(err)
	}
	called := false
	if _, err := Precompile(t.Context(), local, nil, t.TempDir(), TierFast, OnInputsRead(func() { called = true })); err != nil {
		t.Fatal(err)
	}
	if called {
		t.Error("the fast tier said it had read its inputs")
	}
}

// TestConcurrentPrecompilesCompileOnce: two stages of the same app into one
// cache at once (replicas starting together) compile its code once; the
// other finds it cached.
func TestConcurrentPrecompilesCompileOnce(t *testing.T) {
	app := newLock(t, nil, []testComponent{{id: "go", wasm: appPath("spin-go.wasm")}}, []testTrigger{{component: "go", route: "/..."}})
	local, err := appdir.FromLocal(app)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	results := make(chan Precompiled, 2)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			res, err := Precompile(t.Context(), local, nil, cache, TierFast)
			results <- res
			errs <- err
		}()
	}
	compiled := 0
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		compiled += (<-results).Compiled
	}
	if compiled != 1 {
		t.Errorf("two precompiles at once compiled the module %d times, want once", compiled)
	}
}
