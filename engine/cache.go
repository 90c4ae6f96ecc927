package engine

import (
	"context"
	"crypto/sha256"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// newEngine returns the one Engine of an App and how many instances it can
// hold at once (0: no limit): see capi.NewModuleEngine.
func newEngine(ctx context.Context) (*wasmtime.Engine, int) {
	engine, slots := capi.NewModuleEngine()
	if slots == 0 {
		log.G(ctx).Warn("cannot reserve address space for the wasm instance pool: instantiating on demand (slower)")
	}
	return engine, slots
}

// ErrNotCached is Load's error, with Config.CacheOnly, when some compiled
// code is not in the cache (missing or unusable).
var ErrNotCached = capi.ErrNotCached

// compiler compiles each distinct wasm binary once per App, through the
// optional on-disk cache.
type compiler struct {
	engine *wasmtime.Engine
	// cache is the App's compile cache (nil for none), also for tier-up.
	cache *capi.Cache
	// cacheOnly loads from the cache and never compiles (Config.CacheOnly).
	cacheOnly bool
	// winchEngine returns the App's Winch engine, made on first use: for
	// modules whose cache holds only Winch code.
	winchEngine func(context.Context) (*wasmtime.Engine, error)
	modules     map[[sha256.Size]byte]compiledModule // by wasm sha256
}

// compiledModule is a module's code and its tier.
type compiledModule struct {
	module *wasmtime.Module
	tier   capi.Tier
}

func newCompiler(engine *wasmtime.Engine, cache *capi.Cache) *compiler {
	return &compiler{engine: engine, cache: cache, modules: map[[sha256.Size]byte]compiledModule{}}
}

// module returns the compiled module for wasm (whose sha256 is sum) and
// its tier, compiling it (or loading it from the cache) at most once.
// Code of tier capi.Winch belongs to the App's Winch engine.
func (c *compiler) module(ctx context.Context, wasm *wasmSource, sum [sha256.Size]byte) (*wasmtime.Module, capi.Tier, error) {
	if m, ok := c.modules[sum]; ok {
		return m.module, m.tier, nil
	}
	m, tier, err := capi.ModuleCode(ctx, c.engine, c.winch(ctx), codeSource(c.cache, c.cacheOnly, wasm, sum))
	if err != nil {
		return nil, tier, err
	}
	c.modules[sum] = compiledModule{module: m, tier: tier}
	return m, tier, nil
}

// codeSource is where a start finds the code of wasm, whose sha256 is
// sum: cache, and the wasm itself unless cacheOnly.
func codeSource(cache *capi.Cache, cacheOnly bool, wasm *wasmSource, sum [sha256.Size]byte) capi.CodeSource {
	src := capi.CodeSource{Cache: cache, Sum: sum}
	if !cacheOnly {
		src.Wasm = wasm.Bytes
	}
	return src
}

// winch is c.winchEngine for capi.ModuleCode.
func (c *compiler) winch(ctx context.Context) func() (*wasmtime.Engine, error) {
	if c.winchEngine == nil {
		return nil
	}
	return func() (*wasmtime.Engine, error) { return c.winchEngine(ctx) }
}

// close releases all compiled modules.
func (c *compiler) close() {
	for k, m := range c.modules {
		m.module.Close()
		delete(c.modules, k)
	}
}
