package capi

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// ErrCompile: the compiler refused the wasm (as opposed to the cache or the
// engine failing around it).
var ErrCompile = errors.New("compiling")

// ErrNotCached is returned by the LoadCached* functions when the compile
// cache has no usable entry for the wasm, of any tier: missing, partial or
// corrupt.
var ErrNotCached = errors.New("compiled code is not in the compile cache")

// LoadCachedModule loads a core module's compiled code, the best tier
// cached, from the cache in dir, never compiling it: an app process that
// must not write the cache learns this way that its compile stage has to
// run first. The wasm is named by its sha256 (wasmSum), which the caller
// computes once per start for its other uses too.
func LoadCachedModule(ctx context.Context, engine *wasmtime.Engine, wasmSum [sha256.Size]byte, dir string) (*wasmtime.Module, Tier, error) {
	return loadBestCached(ctx, dir, wasmSum, moduleCodec(engine, Optimized))
}

// LoadCachedComponent is LoadCachedModule for a component.
func LoadCachedComponent(ctx context.Context, e *Engine, wasmSum [sha256.Size]byte, dir string) (*Component, Tier, error) {
	return loadBestCached(ctx, dir, wasmSum, componentCodec(e))
}

// loadBestCached returns the best tier of the code that dir holds for the
// wasm whose sha256 is wasmSum, or ErrNotCached.
func loadBestCached[T any](ctx context.Context, dir string, wasmSum [sha256.Size]byte, c codec[T]) (T, Tier, error) {
	if dir != "" {
		if v, t, ok := bestCached(ctx, dir, wasmSum, c); ok {
			return v, t, nil
		}
	}
	var zero T
	return zero, c.tier, fmt.Errorf("%s: %w", c.kind, ErrNotCached)
}

// bestCached loads the best tier of the code dir holds for the wasm whose
// sha256 is wasmSum, optimised first.
func bestCached[T any](ctx context.Context, dir string, wasmSum [sha256.Size]byte, c codec[T]) (T, Tier, bool) {
	for t := Optimized; t <= Fast; t++ {
		lc := c
		lc.tier = t
		if v, ok := loadCached(ctx, dir, wasmSum, lc); ok {
			return v, t, true
		}
	}
	var zero T
	return zero, c.tier, false
}

// ModuleCachedAt reports whether dir has an entry of tier t for the core
// module whose sha256 is wasmSum (present, not verified: loading
// verifies). An app process asks before it makes an engine: Winch code
// needs a Winch engine.
func ModuleCachedAt(dir string, wasmSum [sha256.Size]byte, t Tier) bool {
	return dir != "" && entryPresent(entryFiles(dir, wasmSum, tierConfigID(ModuleConfigID, t)))
}

// ComponentCachedAt is ModuleCachedAt for a component.
func ComponentCachedAt(dir string, wasmSum [sha256.Size]byte, t Tier) bool {
	return dir != "" && entryPresent(entryFiles(dir, wasmSum, tierConfigID(ComponentConfigID, t)))
}
