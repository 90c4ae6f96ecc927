package capi

import (
	"context"
	"crypto/sha256"
	"errors"

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
// of Cranelift's cached, from cache, never compiling it: an app
// process that must not write the cache learns this way that its compile
// stage has to run first. The wasm is named by its sha256 (wasmSum), which
// the caller computes once per start for its other uses too. ModuleCode
// also looks for Winch code.
func LoadCachedModule(ctx context.Context, engine *wasmtime.Engine, wasmSum [sha256.Size]byte, cache *Cache) (*wasmtime.Module, Tier, error) {
	return ModuleCode(ctx, engine, nil, CodeSource{Cache: cache, Sum: wasmSum})
}

// LoadCachedComponent is LoadCachedModule for a component.
func LoadCachedComponent(ctx context.Context, e *Engine, wasmSum [sha256.Size]byte, cache *Cache) (*Component, Tier, error) {
	return ComponentCode(ctx, e, nil, CodeSource{Cache: cache, Sum: wasmSum})
}

// ModuleCachedAt reports whether cache has an entry of tier t for the core
// module whose sha256 is wasmSum (present, not verified: loading
// verifies): what pickCode asks about the Winch code before it makes a
// Winch engine for it.
func ModuleCachedAt(cache *Cache, wasmSum [sha256.Size]byte, t Tier) bool {
	return cache != nil && entryPresent(cache.entry(wasmSum, tierConfigID(ModuleConfigID, t)))
}

// ComponentCachedAt is ModuleCachedAt for a component.
func ComponentCachedAt(cache *Cache, wasmSum [sha256.Size]byte, t Tier) bool {
	return cache != nil && entryPresent(cache.entry(wasmSum, tierConfigID(ComponentConfigID, t)))
}
