package capi

import (
	"context"
	"crypto/sha256"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// TestFastComponentRunsInOptimizedEngine: the compile stage writes fast
// code, which the serving engine (Optimized) loads and runs; the optimised
// code, once precompiled, is preferred.
func TestFastComponentRunsInOptimizedEngine(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cache := NewCache(dir)
	wasm, err := Wat2Wasm(adderWAT)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := NewEngineAt(Fast)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	if compiled, best, err := PrecompileComponent(ctx, fast, wasm, sha256.Sum256(wasm), cache); err != nil || !compiled || best != Fast {
		t.Fatalf("precompile fast: %v, %v, %v", compiled, best, err)
	}
	if compiled, best, err := PrecompileComponent(ctx, fast, wasm, sha256.Sum256(wasm), cache); err != nil || compiled || best != Fast {
		t.Fatalf("precompile fast again: compiled=%v, best %v, %v; want a no-op", compiled, best, err)
	}

	e := NewEngine()
	defer e.Close()
	if _, ok := CachedComponent(ctx, e, sha256.Sum256(wasm), cache, Optimized); ok {
		t.Fatal("optimised code found before it was compiled")
	}
	c, tier, err := CompileComponent(ctx, e, wasm, sha256.Sum256(wasm), cache)
	if err != nil || tier != Fast {
		t.Fatalf("CompileComponent: tier %v, %v; want the cached fast code", tier, err)
	}
	defer c.Close()
	if got := runAdder(t, e, c, 20); got != U32(41) {
		t.Fatalf("fast code: run(20) = %v, want 41", got)
	}

	if compiled, best, err := PrecompileComponent(ctx, e, wasm, sha256.Sum256(wasm), cache); err != nil || !compiled || best != Optimized {
		t.Fatalf("precompile optimised over fast: %v, %v, %v", compiled, best, err)
	}
	if compiled, best, err := PrecompileComponent(ctx, fast, wasm, sha256.Sum256(wasm), cache); err != nil || compiled || best != Optimized {
		t.Fatalf("precompile fast over optimised: compiled=%v, best %v, %v; want a no-op", compiled, best, err)
	}
	opt, ok := CachedComponent(ctx, e, sha256.Sum256(wasm), cache, Optimized)
	if !ok {
		t.Fatal("optimised code not loaded")
	}
	defer opt.Close()
	if got := runAdder(t, e, opt, 1); got != U32(3) {
		t.Fatalf("optimised code: run(1) = %v, want 3", got)
	}
	c2, tier, err := CompileComponent(ctx, e, wasm, sha256.Sum256(wasm), cache)
	if err != nil || tier != Optimized {
		t.Fatalf("CompileComponent with both cached: tier %v, %v; want optimised", tier, err)
	}
	c2.Close()
}

func runAdder(t *testing.T, e *Engine, c *Component, x uint32) Val {
	t.Helper()
	s := e.NewStore(&storeData{})
	defer s.Close()
	inst, err := adderLinker(t, e).Instantiate(context.Background(), s, c)
	if err != nil {
		t.Fatal(err)
	}
	run, err := inst.Func("run")
	if err != nil {
		t.Fatal(err)
	}
	out, err := run.Call(1, U32(x))
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

// TestFastModuleRunsInPoolingEngine is the same for core modules: fast
// code compiled without a pool runs in NewModuleEngine's engine.
func TestFastModuleRunsInPoolingEngine(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cache := NewCache(dir)
	wasm, err := wasmtime.Wat2Wasm(`(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))`)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := NewModuleCompileEngine(Fast)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	if compiled, _, err := PrecompileModule(ctx, fast, wasm, sha256.Sum256(wasm), cache, Fast); err != nil || !compiled {
		t.Fatalf("precompile fast: %v, %v", compiled, err)
	}
	engine, _ := NewModuleEngine()
	defer engine.Close()
	m, tier, err := CompileModule(ctx, engine, wasm, sha256.Sum256(wasm), cache)
	if err != nil || tier != Fast {
		t.Fatalf("CompileModule: tier %v, %v; want the cached fast code", tier, err)
	}
	defer m.Close()
	checkTimesThree(t, engine, m)
}

// checkTimesThree checks that m's f, instantiated in engine, returns three
// times its argument.
func checkTimesThree(t *testing.T, engine *wasmtime.Engine, m *wasmtime.Module) {
	t.Helper()
	store := wasmtime.NewStore(engine)
	defer store.Close()
	store.SetEpochDeadline(1)
	inst, err := wasmtime.NewInstance(store, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := CallI32(ContextOf(store), LookupFunc(store, inst, "f"), false, 14)
	if err != nil || got != 42 {
		t.Fatalf("f(14) = %d, %v; want 42", got, err)
	}
}
