package engine

import (
	"context"
	"fmt"
	"os"

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

// Precompile writes the compiled code of every component app deploys (env
// may narrow them: ComponentsToRetainEnv) into the compile cache in
// cacheDir at tier, skipping those whose code of that tier or better is
// there already. It loads nothing and runs no guest code: the shim's
// compile stages run it, with write access to the cache the app process
// only reads. It returns how many it compiled.
func Precompile(ctx context.Context, app *appdir.App, env []string, cacheDir string, tier CompileTier) (int, error) {
	if cacheDir == "" {
		return 0, fmt.Errorf("engine: precompile: no compile cache directory")
	}
	lk, err := deployedApp(app.Lock(), env)
	if err != nil {
		return 0, fmt.Errorf("engine: %w", err)
	}
	p := precompiler{dir: cacheDir, tier: tier.capi(), done: map[string]bool{}}
	defer p.close()
	compiled := 0
	for _, lc := range lk.Components {
		ac, ok := app.Component(lc.ID)
		if !ok {
			return compiled, fmt.Errorf("engine: component %q: no such component", lc.ID)
		}
		did, err := p.compile(ctx, ac.WasmPath)
		if err != nil {
			return compiled, fmt.Errorf("engine: component %q: %w", lc.ID, err)
		}
		if did {
			compiled++
		}
	}
	return compiled, nil
}

// precompiler holds the engines a Precompile compiles with, made on first
// use.
type precompiler struct {
	dir        string
	tier       capi.Tier
	done       map[string]bool // wasm paths seen
	components *capi.Engine
	modules    *wasmtime.Engine
}

// compile compiles the wasm at path into the cache unless it is there.
func (p *precompiler) compile(ctx context.Context, path string) (bool, error) {
	if p.done[path] {
		return false, nil
	}
	p.done[path] = true
	wasm, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("read wasm: %w", err)
	}
	var did bool
	if isComponent(wasm) {
		if p.components == nil {
			p.components = capi.NewEngineAt(p.tier)
		}
		did, err = capi.PrecompileComponent(ctx, p.components, wasm, p.dir)
	} else {
		if err := checkHeader(wasm); err != nil {
			return false, err
		}
		if p.modules == nil {
			p.modules = capi.NewModuleCompileEngine(p.tier)
		}
		did, err = capi.PrecompileModule(ctx, p.modules, wasm, p.dir, p.tier)
	}
	return did, err
}

func (p *precompiler) close() {
	if p.components != nil {
		p.components.Close()
	}
	if p.modules != nil {
		p.modules.Close()
	}
}
