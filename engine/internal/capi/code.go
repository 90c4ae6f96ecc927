package capi

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
)

// CodeSource is where a start finds the code of one wasm binary.
type CodeSource struct {
	// Cache is the compile cache (nil for none).
	Cache *Cache
	// Sum is the wasm's sha256, which names its entries.
	Sum [sha256.Size]byte
	// Wasm returns the wasm to compile when the cache has no usable code;
	// nil for a cache-only start, which gets ErrNotCached instead.
	Wasm func() ([]byte, error)
}

// ModuleCode is the code of a core module for a start: see pickCode.
// engine is the App's Cranelift engine (NewModuleEngine); winch, when not
// nil, returns its Winch engine (NewModuleEngineAt(Winch)), called only
// when the Winch code is the code to load.
func ModuleCode(ctx context.Context, engine *wasmtime.Engine, winch func() (*wasmtime.Engine, error), src CodeSource) (*wasmtime.Module, Tier, error) {
	return pickCode(ctx, src, moduleCodec(engine, Optimized), winchCodec(winch, func(w *wasmtime.Engine) codec[*wasmtime.Module] {
		return moduleCodec(w, Winch)
	}))
}

// ComponentCode is ModuleCode for a component: e is a Cranelift Engine,
// winch returns a Winch one (NewEngineAt(Winch)).
func ComponentCode(ctx context.Context, e *Engine, winch func() (*Engine, error), src CodeSource) (*Component, Tier, error) {
	return pickCode(ctx, src, componentCodec(e), winchCodec(winch, componentCodec))
}

// winchCodec is the codec of the engine winch makes (nil: none).
func winchCodec[E, T any](winch func() (E, error), codecOf func(E) codec[T]) func() (codec[T], error) {
	if winch == nil {
		return nil
	}
	return func() (codec[T], error) {
		w, err := winch()
		if err != nil {
			return codec[T]{}, err
		}
		return codecOf(w), nil
	}
}

// pickCode is the one decision of which code a start runs, for modules and
// components alike: Cranelift's optimised code if cached, else its fast
// code, into c's engine; else, when the cache holds no Cranelift entry
// (not even an unusable one) but Winch's, the Winch code into the engine
// winch makes (only then: it is a second engine); else code of c.tier
// compiled now and cached, or ErrNotCached for a cache-only start (also
// when the Winch code is there but does not load). A start that finds
// the optimised code looks at no other entry.
func pickCode[T any](ctx context.Context, src CodeSource, c codec[T], winch func() (codec[T], error)) (T, Tier, error) {
	v, tier, triedWinch, err := loadBest(ctx, src, c, winch)
	if err == nil || src.Wasm == nil {
		return v, tier, err
	}
	if triedWinch {
		log.G(ctx).WithError(err).Warnf("compiling the %s instead of loading its Winch code", c.kind)
	}
	wasm, err := src.Wasm()
	if err != nil {
		var zero T
		return zero, c.tier, err
	}
	return compileNow(ctx, src.Cache, wasm, src.Sum, c)
}

// loadBest is pickCode's look-up in the cache; triedWinch says that the
// Winch code was the code to load, and did not load when err is not nil.
func loadBest[T any](ctx context.Context, src CodeSource, c codec[T], winch func() (codec[T], error)) (_ T, _ Tier, triedWinch bool, _ error) {
	var zero T
	if src.Cache == nil {
		return zero, c.tier, false, fmt.Errorf("%s: %w", c.kind, ErrNotCached)
	}
	cranelift := false // some Cranelift entry is there, usable or not
	for t := Optimized; t <= Fast; t++ {
		lc := c
		lc.tier = t
		v, found, ok := lookup(ctx, src.Cache, src.Sum, lc)
		if ok {
			return v, t, false, nil
		}
		cranelift = cranelift || found
	}
	if winch == nil || cranelift || !entryPresent(src.Cache.entry(src.Sum, tierConfigID(c.configID, Winch))) {
		return zero, c.tier, false, fmt.Errorf("%s: %w", c.kind, ErrNotCached)
	}
	wc, err := winch()
	if err != nil {
		return zero, Winch, true, fmt.Errorf("%s: the Winch engine for its cached Winch code: %w", c.kind, err)
	}
	if v, _, ok := lookup(ctx, src.Cache, src.Sum, wc); ok {
		return v, Winch, true, nil
	}
	return zero, Winch, true, fmt.Errorf("%s: Winch code: %w", c.kind, ErrNotCached)
}
