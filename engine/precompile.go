package engine

import (
	"context"
	"fmt"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// CompileTier is how hard Precompile optimises.
type CompileTier int

const (
	// TierFast compiles in about half the time of TierOptimized, for
	// slower code: what a first start waits for. Loading prefers optimised
	// code when both are cached, and a running App moves its components to
	// it once it is cached (see Load).
	TierFast CompileTier = iota
	// TierOptimized is the code to keep, compiled in the background after
	// a first start.
	TierOptimized
)

func (t CompileTier) capi() capi.Tier {
	if t == TierFast {
		return capi.Fast
	}
	return capi.Optimized
}

func (t CompileTier) String() string { return t.capi().String() }

// Precompiled says what Precompile did.
type Precompiled struct {
	// Compiled counts the wasm binaries it compiled.
	Compiled int
	// Fast counts those whose best code in the cache is now of the fast
	// tier: an optimising compile is still to come.
	Fast int
}

// Precompile writes the compiled code of every component app deploys (env
// may narrow them: ComponentsToRetainEnv) into the compile cache in
// cacheDir at tier, skipping those whose code of that tier or better is
// there already. It loads nothing and runs no guest code: the shim's
// compile stages run it, with write access to the cache the app process
// only reads.
func Precompile(ctx context.Context, app *appdir.App, env []string, cacheDir string, tier CompileTier) (Precompiled, error) {
	var res Precompiled
	if cacheDir == "" {
		return res, fmt.Errorf("engine: precompile: no compile cache directory")
	}
	lk, err := deployedApp(app.Lock(), env)
	if err != nil {
		return res, fmt.Errorf("engine: %w", err)
	}
	p := precompiler{dir: cacheDir, tier: tier.capi(), done: map[string]bool{}}
	defer p.close()
	for _, lc := range lk.Components {
		ac, ok := app.Component(lc.ID)
		if !ok {
			return res, fmt.Errorf("engine: component %q: no such component", lc.ID)
		}
		if p.done[ac.WasmPath] {
			continue
		}
		p.done[ac.WasmPath] = true
		did, best, err := p.compile(ctx, ac)
		if err != nil {
			return res, fmt.Errorf("engine: component %q: %w", lc.ID, err)
		}
		if did {
			res.Compiled++
		}
		if best == capi.Fast {
			res.Fast++
		}
	}
	return res, nil
}

// precompiler holds the engines a Precompile compiles with, made on first
// use.
type precompiler struct {
	dir        string
	tier       capi.Tier
	done       map[string]bool // wasm paths done
	components *capi.Engine
	modules    *wasmtime.Engine
}

// compile compiles component ac's wasm into the cache unless it is there;
// it returns whether it did and the best tier cached. The wasm is checked
// against the digest its application directory recorded, under which the
// app then looks its code up.
func (p *precompiler) compile(ctx context.Context, ac appdir.Component) (bool, capi.Tier, error) {
	src, err := openWasm(ac)
	if err != nil {
		return false, p.tier, err
	}
	wasm, err := src.Bytes()
	if err != nil {
		return false, p.tier, err
	}
	sum, err := src.Sum() // hashed by Bytes: not again
	if err != nil {
		return false, p.tier, err
	}
	if isComponent(wasm) {
		if p.components == nil {
			p.components = capi.NewEngineAt(p.tier)
		}
		return capi.PrecompileComponent(ctx, p.components, wasm, sum, p.dir)
	}
	if err := checkHeader(wasm); err != nil {
		return false, p.tier, err
	}
	if p.modules == nil {
		p.modules = capi.NewModuleCompileEngine(p.tier)
	}
	return capi.PrecompileModule(ctx, p.modules, wasm, sum, p.dir, p.tier)
}

func (p *precompiler) close() {
	if p.components != nil {
		p.components.Close()
	}
	if p.modules != nil {
		p.modules.Close()
	}
}
