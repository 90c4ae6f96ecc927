package capi

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/test/testwasm"
)

func winchEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := NewEngineAt(Winch)
	if err != nil {
		t.Fatalf("Winch on the pinned library: %v", err)
	}
	return e
}

// TestWinchComponentTier: the compile stage's Winch code is cached under
// its own key, loaded and run by a Winch engine, and never by a Cranelift
// engine, which compiles (or loads) its own code instead.
func TestWinchComponentTier(t *testing.T) {
	if tier, err := FastTier(); err != nil || tier != Winch {
		t.Fatalf("FastTier() = %v, %v; want Winch on the pinned library", tier, err)
	}
	ctx := context.Background()
	dir := t.TempDir()
	cache := NewCache(dir)
	wasm, err := Wat2Wasm(adderWAT)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(wasm)
	w := winchEngine(t)
	defer w.Close()
	if compiled, best, err := PrecompileComponent(ctx, w, wasm, sum, cache); err != nil || !compiled || best != Winch {
		t.Fatalf("precompile with Winch: %v, %v, %v", compiled, best, err)
	}
	if !ComponentCachedAt(cache, sum, Winch) || ComponentCachedAt(cache, sum, Fast) || ComponentCachedAt(cache, sum, Optimized) {
		t.Fatal("Winch code is not (only) under the Winch tier's key")
	}
	if compiled, best, err := PrecompileComponent(ctx, w, wasm, sum, cache); err != nil || compiled || best != Winch {
		t.Fatalf("precompile with Winch again: compiled=%v, best %v, %v; want a no-op", compiled, best, err)
	}

	c, ok := CachedComponent(ctx, w, sum, cache, Winch)
	if !ok {
		t.Fatal("the Winch engine did not load the Winch code")
	}
	defer c.Close()
	if got := runAdder(t, w, c, 20); got != U32(41) {
		t.Fatalf("Winch code: run(20) = %v, want 41", got)
	}

	e := NewEngine()
	defer e.Close()
	if _, _, err := LoadCachedComponent(ctx, e, sum, cache); !errors.Is(err, ErrNotCached) {
		t.Fatalf("a Cranelift engine's cache-only load with only Winch code: %v, want ErrNotCached", err)
	}
	if c, ok := CachedComponent(ctx, e, sum, cache, Winch); ok {
		c.Close()
		t.Fatal("a Cranelift engine loaded Winch code")
	}
	opt, tier, err := CompileComponent(ctx, e, wasm, sum, cache)
	if err != nil || tier != Optimized {
		t.Fatalf("CompileComponent beside Winch code: tier %v, %v; want optimised code", tier, err)
	}
	defer opt.Close()
	if got := runAdder(t, e, opt, 1); got != U32(3) {
		t.Fatalf("optimised code: run(1) = %v, want 3", got)
	}
	if compiled, best, err := PrecompileComponent(ctx, w, wasm, sum, cache); err != nil || compiled || best != Optimized {
		t.Fatalf("precompile with Winch over optimised: compiled=%v, best %v, %v; want a no-op", compiled, best, err)
	}
}

// TestWinchModuleTier is TestWinchComponentTier for core modules, run in
// the pooling engine the app process makes for Winch code.
func TestWinchModuleTier(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cache := NewCache(dir)
	wasm, err := wasmtime.Wat2Wasm(`(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))`)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(wasm)
	compiler, err := NewModuleCompileEngine(Winch)
	if err != nil {
		t.Fatal(err)
	}
	defer compiler.Close()
	if compiled, best, err := PrecompileModule(ctx, compiler, wasm, sum, cache, Winch); err != nil || !compiled || best != Winch {
		t.Fatalf("precompile with Winch: %v, %v, %v", compiled, best, err)
	}
	if !ModuleCachedAt(cache, sum, Winch) || ModuleCachedAt(cache, sum, Optimized) {
		t.Fatal("Winch code is not (only) under the Winch tier's key")
	}
	cranelift, _ := NewModuleEngine()
	defer cranelift.Close()
	if _, _, err := LoadCachedModule(ctx, cranelift, sum, cache); !errors.Is(err, ErrNotCached) {
		t.Fatalf("a Cranelift engine's cache-only load with only Winch code: %v, want ErrNotCached", err)
	}
	if m, ok := CachedModule(ctx, cranelift, sum, cache, Winch); ok {
		m.Close()
		t.Fatal("a Cranelift engine loaded Winch code")
	}

	engine, _, err := NewModuleEngineAt(Winch)
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	m, ok := CachedModule(ctx, engine, sum, cache, Winch)
	if !ok {
		t.Fatal("the Winch engine did not load the Winch code")
	}
	defer m.Close()
	checkTimesThree(t, engine, m)
}

// The guards hold on Winch code: epoch deadlines stop it, memory caps
// bound it.
func TestWinchEpochDeadline(t *testing.T) {
	e := winchEngine(t)
	defer e.Close()
	checkEpochDeadline(t, e)
}

func TestWinchMemoryLimit(t *testing.T) {
	e := winchEngine(t)
	defer e.Close()
	checkMemoryLimit(t, e)
}

// TestWinchModuleDeadline: a core module's endless loop compiled by Winch
// stops at the deadline NewSharedStore's handler sets, in the pooling
// engine.
func TestWinchModuleDeadline(t *testing.T) {
	engine, _, err := NewModuleEngineAt(Winch)
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	m := testwasm.Module(t, engine, `(module (func (export "spin") (loop $l (br $l))))`)
	defer tickEpochs(engine.IncrementEpoch)()
	registered := wasmtime.NewStore(engine)
	defer registered.Close()
	d := &countingDeadline{allow: 2}
	watch := NewDeadlineWatch(d)
	defer watch.Release()
	store, _ := NewSharedStore(registered, watch, 0)
	defer DeleteSharedStore(store)
	inst, err := wasmtime.NewInstance(store, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = inst.GetFunc(store, "spin").Call(store)
	if err == nil || !strings.Contains(err.Error(), "guest ran too long") {
		t.Fatalf("spin() = %v, want the deadline handler's error", err)
	}
}
