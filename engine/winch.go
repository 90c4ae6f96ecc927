package engine

import (
	"context"
	"crypto/sha256"
	"slices"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/coremodule"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// A first start runs the Winch code its compile stage cached (capi.Winch).
// Winch code loads only into engines configured for Winch, so an App makes
// such engines when it loads Winch code, and only then: a start that finds
// optimised code, every start but a first, makes the one Cranelift engine
// of each kind as before. Once the optimised code is cached, new requests
// (and trigger messages) move to the App's Cranelift engines (tierup.go);
// those in flight finish on the Winch code, which stays loaded, with its
// engines, until the App closes or renews its pools (renew.go).

// epochEngines are the App's engines, whose epochs its ticker advances:
// added while it ticks (tier-up, triggers loaded after Load, a pool's
// renewal) and removed before a renewal closes them, so behind a lock.
type epochEngines struct {
	mu      sync.Mutex
	engines []interface{ IncrementEpoch() }
}

func (e *epochEngines) add(engine interface{ IncrementEpoch() }) {
	e.mu.Lock()
	e.engines = append(e.engines, engine)
	e.mu.Unlock()
}

// remove stops advancing engine's epoch, before it closes.
func (e *epochEngines) remove(engine interface{ IncrementEpoch() }) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.engines = slices.DeleteFunc(e.engines, func(x interface{ IncrementEpoch() }) bool { return x == engine })
}

func (e *epochEngines) advance() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, engine := range e.engines {
		engine.IncrementEpoch()
	}
}

// winchModules is the Winch engine of an App's core modules and the Host
// over it (its own instance pool, linker and guards, as the Cranelift
// Host's), made for the first module that has only Winch code cached.
type winchModules struct {
	engine *wasmtime.Engine
	host   *coremodule.Host
}

func (w *winchModules) close() {
	if w == nil {
		return
	}
	w.host.Close()
	w.engine.Close()
}

// winchModuleEngine returns the App's Winch engine for core modules,
// making it (and its Host) on first use.
func (a *App) winchModuleEngine(ctx context.Context) (*wasmtime.Engine, error) {
	if a.winch != nil {
		return a.winch.engine, nil
	}
	engine, slots, err := capi.NewModuleEngineAt(capi.Winch)
	if err != nil {
		return nil, err
	}
	if slots == 0 {
		log.G(ctx).Warn("cannot reserve address space for the Winch engine's instance pool: instantiating on demand (slower)")
	}
	host, err := coremodule.NewHost(a.coreHostConfig(engine, slots))
	if err != nil {
		engine.Close()
		return nil, err
	}
	a.winch = &winchModules{engine: engine, host: host}
	a.epochs.add(engine)
	log.G(ctx).Info("running core modules' Winch code until their optimised code is cached")
	return engine, nil
}

// coreHostConfig is the configuration of a Host of the App's core modules
// over engine, which holds slots instances at once: the same guards and
// outputs for the Cranelift and the Winch Host.
func (a *App) coreHostConfig(engine *wasmtime.Engine, slots int) coremodule.Config {
	return coremodule.Config{
		Engine: engine, InstanceLimit: slots,
		Stdout: a.stdout, Stderr: a.stderr, Outbound: a.client,
		GuestTimeLimit: a.limits.time, MaxInstanceMemory: a.limits.memory,
	}
}

// coreHost is the Host of a core module whose code is of tier t.
func (a *App) coreHost(t capi.Tier) *coremodule.Host {
	if t == capi.Winch {
		return a.winch.host
	}
	return a.core
}

// componentCode loads or compiles a component's code (capi.ComponentCode
// decides which): Winch code into the Winch backend, made on first use,
// Cranelift's into the Cranelift backend. It returns the code's tier and
// backend.
func (a *App) componentCode(ctx context.Context, wasm *wasmSource, sum [sha256.Size]byte) (*capi.Component, capi.Tier, componentBackend, error) {
	r := a.components
	winch := func() (*capi.Engine, error) {
		b, err := a.winchComponents(ctx)
		return b.engine, err
	}
	c, tier, err := capi.ComponentCode(ctx, r.engine, winch, codeSource(a.compiler.cache, a.cfg.CacheOnly, wasm, sum))
	if err != nil {
		return nil, tier, componentBackend{}, err
	}
	if tier == capi.Winch {
		return c, tier, *r.winch, nil
	}
	// Made now, not before: a start on Winch code needs no Cranelift
	// linker until its tier-up.
	b, err := r.cranelift()
	if err != nil {
		c.Close()
		return nil, tier, b, err
	}
	return c, tier, b, nil
}

// winchComponents is the App's Winch backend for components, made on first
// use.
func (a *App) winchComponents(ctx context.Context) (componentBackend, error) {
	r := a.components
	if r.winch == nil {
		e, err := capi.NewEngineAt(capi.Winch)
		if err != nil {
			return componentBackend{}, err
		}
		l, err := newComponentLinker(e)
		if err != nil {
			e.Close()
			return componentBackend{}, err
		}
		r.winch = &componentBackend{engine: e, linker: l}
		a.epochs.add(e)
		log.G(ctx).Info("running components' Winch code until their optimised code is cached")
	}
	return *r.winch, nil
}
