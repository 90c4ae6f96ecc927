package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// CompileTier is how hard Precompile optimises.
type CompileTier int

const (
	// TierFast compiles with Winch, Wasmtime's baseline compiler (or,
	// where Winch is not usable, Cranelift without optimisations): a
	// fraction of TierOptimized's compile time, for slower code, what a
	// first start waits for. Loading prefers optimised code when both are
	// cached, and a running App moves its components to it once it is
	// cached (see Load).
	TierFast CompileTier = iota
	// TierOptimized is the code to keep, compiled in the background after
	// a first start.
	TierOptimized
)

func (t CompileTier) String() string {
	if t == TierFast {
		return "fast"
	}
	return "optimized"
}

// capiTier is the capi tier that t compiles: for TierFast, Winch unless
// it is not usable with this wasmtime library (logged).
func (t CompileTier) capiTier(ctx context.Context) capi.Tier {
	if t != TierFast {
		return capi.Optimized
	}
	tier, err := capi.FastTier()
	if err != nil {
		log.G(ctx).WithError(err).Warn("compiling the fast tier with Cranelift instead of Winch")
	}
	return tier
}

// Precompiled says what Precompile did.
type Precompiled struct {
	// Compiled counts the wasm binaries it compiled.
	Compiled int
	// Fast counts those whose best code in the cache is now of the fast
	// tier: an optimising compile is still to come.
	Fast int
}

// PrecompileOption changes what Precompile does besides compiling.
type PrecompileOption func(*precompileOptions)

type precompileOptions struct{ inputsRead func() }

// OnInputsRead has Precompile at TierOptimized call f once it has read
// every wasm binary of the app, before it compiles the first: from then on
// it needs nothing of the app's directory.
func OnInputsRead(f func()) PrecompileOption {
	return func(o *precompileOptions) { o.inputsRead = f }
}

// Precompile writes the compiled code of every component app deploys (env
// may narrow them: ComponentsToRetainEnv) into the compile cache in
// cacheDir at tier, skipping those whose code of that tier or better is
// there already. It loads nothing and runs no guest code: the shim's
// compile stages run it, with write access to the cache the app process
// only reads.
func Precompile(ctx context.Context, app *appdir.App, env []string, cacheDir string, tier CompileTier, opts ...PrecompileOption) (Precompiled, error) {
	var o precompileOptions
	for _, opt := range opts {
		opt(&o)
	}
	var res Precompiled
	if cacheDir == "" {
		return res, fmt.Errorf("engine: precompile: no compile cache directory")
	}
	lk, err := deployedApp(app.Lock(), env)
	if err != nil {
		return res, fmt.Errorf("engine: %w", err)
	}
	var todo []wasmToCompile
	seen := map[string]bool{}
	for _, lc := range lk.Components {
		ac, ok := app.Component(lc.ID)
		if !ok {
			return res, fmt.Errorf("engine: component %q: no such component", lc.ID)
		}
		if seen[ac.WasmPath] {
			continue
		}
		seen[ac.WasmPath] = true
		w := wasmToCompile{id: lc.ID}
		if w.src, err = openWasm(ac); err != nil {
			return res, fmt.Errorf("engine: component %q: %w", lc.ID, err)
		}
		// The optimising compile may outlive the container whose app
		// directory holds the wasm (the shim lets it finish): it maps
		// every binary before it compiles the first.
		if tier == TierOptimized {
			var release func()
			if w.wasm, release, err = w.src.Map(); err != nil {
				return res, fmt.Errorf("engine: component %q: %w", lc.ID, err)
			}
			defer release()
		}
		todo = append(todo, w)
	}
	if tier == TierOptimized && o.inputsRead != nil {
		o.inputsRead()
	}
	p := precompiler{cache: capi.NewCache(cacheDir), tier: tier.capiTier(ctx)}
	defer p.close()
	for _, w := range todo {
		did, best, err := p.compile(ctx, w)
		if err != nil {
			return res, fmt.Errorf("engine: component %q: %w", w.id, err)
		}
		if did {
			res.Compiled++
		}
		if best != capi.Optimized {
			res.Fast++
		}
	}
	return res, nil
}

// wasmToCompile is a wasm binary Precompile compiles, for the first
// component (id) that uses it.
type wasmToCompile struct {
	id  string
	src *wasmSource
	// wasm is src's bytes when mapped before the compile (Map).
	wasm []byte
}

// precompiler holds the engines a Precompile compiles with, made on first
// use.
type precompiler struct {
	cache      *capi.Cache
	tier       capi.Tier
	components *capi.Engine
	modules    *wasmtime.Engine
	// fallback compiles Cranelift's fast tier for the wasm Winch cannot
	// compile (tail calls, for one); made on first use.
	fallback *precompiler
}

// compile compiles w's wasm into the cache unless it is there; it returns
// whether it did and the best tier cached. The wasm is checked against the
// digest its application directory recorded, under which the app then
// looks its code up.
func (p *precompiler) compile(ctx context.Context, w wasmToCompile) (bool, capi.Tier, error) {
	id, src, wasm := w.id, w.src, w.wasm
	if wasm == nil {
		var release func()
		var err error
		if wasm, release, err = src.Map(); err != nil {
			return false, p.tier, err
		}
		defer release()
	}
	sum, err := src.Sum() // hashed by Map: not again
	if err != nil {
		return false, p.tier, err
	}
	did, best, err := p.compileWasm(ctx, wasm, sum)
	if errors.Is(err, capi.ErrCompile) && p.tier == capi.Winch {
		log.G(ctx).WithField("component", id).WithError(err).Warn("Winch cannot compile the wasm: compiling the fast tier with Cranelift")
		if p.fallback == nil {
			p.fallback = &precompiler{cache: p.cache, tier: capi.Fast}
		}
		return p.fallback.compileWasm(ctx, wasm, sum)
	}
	return did, best, err
}

// compileWasm is compile for wasm, whose sha256 is sum.
func (p *precompiler) compileWasm(ctx context.Context, wasm []byte, sum [sha256.Size]byte) (bool, capi.Tier, error) {
	var err error
	if isComponent(wasm) {
		if p.components == nil {
			if p.components, err = capi.NewCompileEngineAt(p.tier); err != nil {
				return false, p.tier, err
			}
		}
		return capi.PrecompileComponent(ctx, p.components, wasm, sum, p.cache)
	}
	if err := checkHeader(wasm); err != nil {
		return false, p.tier, err
	}
	if p.modules == nil {
		if p.modules, err = capi.NewModuleCompileEngine(p.tier); err != nil {
			return false, p.tier, err
		}
	}
	return capi.PrecompileModule(ctx, p.modules, wasm, sum, p.cache, p.tier)
}

func (p *precompiler) close() {
	if p.components != nil {
		p.components.Close()
	}
	if p.modules != nil {
		p.modules.Close()
	}
	if p.fallback != nil {
		p.fallback.close()
	}
}
