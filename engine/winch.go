package engine

import (
	"context"
	"crypto/sha256"
	"fmt"
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
// move to the App's Cranelift engines (tierup.go); requests in flight
// finish on the Winch code, which stays loaded, with its engines, until
// the App closes.

// epochEngines are the engines made after Load's own, whose epochs the
// App's ticker advances too: made while it ticks (tier-up, triggers
// loaded after Load), so behind a lock.
type epochEngines struct {
	mu      sync.Mutex
	engines []interface{ IncrementEpoch() }
}

func (e *epochEngines) add(engine interface{ IncrementEpoch() }) {
	e.mu.Lock()
	e.engines = append(e.engines, engine)
	e.mu.Unlock()
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
	engine, slots, err := capi.NewWinchModuleEngine()
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

// onlyWinchCached reports whether the cache in dir holds Winch code for
// the wasm whose sha256 is sum and no Cranelift code: the code to load,
// with a Winch engine.
func onlyWinchCached(dir string, sum [sha256.Size]byte, cached func(string, [sha256.Size]byte, capi.Tier) bool) bool {
	return cached(dir, sum, capi.Winch) && !cached(dir, sum, capi.Optimized) && !cached(dir, sum, capi.Fast)
}

// loadWinchModule loads the cached Winch code of the module whose sha256
// is sum into the App's Winch engine.
func (c *compiler) loadWinchModule(ctx context.Context, sum [sha256.Size]byte) (*wasmtime.Module, capi.Tier, error) {
	engine, err := c.winchEngine(ctx)
	if err != nil {
		return nil, capi.Winch, fmt.Errorf("module: the Winch engine for its cached Winch code: %w", err)
	}
	m, ok := capi.CachedModule(ctx, engine, sum, c.cacheDir, capi.Winch)
	if !ok {
		return nil, capi.Winch, fmt.Errorf("module: %w", capi.ErrNotCached)
	}
	return m, capi.Winch, nil
}

// componentCode loads or compiles a component's code: its Winch code into
// the Winch backend (made on first use) when that is all the cache holds,
// else the best Cranelift code cached (or compiled now, unless cache-only)
// into the Cranelift backend. It returns the code's tier and backend.
func (a *App) componentCode(ctx context.Context, wasm *wasmSource, sum [sha256.Size]byte) (*capi.Component, capi.Tier, componentBackend, error) {
	r, dir := a.components, a.cfg.CacheDir
	if onlyWinchCached(dir, sum, capi.ComponentCachedAt) {
		b, err := a.winchComponents(ctx)
		if err == nil {
			if c, ok := capi.CachedComponent(ctx, b.engine, sum, dir, capi.Winch); ok {
				return c, capi.Winch, b, nil
			}
			err = capi.ErrNotCached
		}
		if a.cfg.CacheOnly {
			return nil, capi.Winch, componentBackend{}, fmt.Errorf("component: Winch code: %w", err)
		}
		log.G(ctx).WithError(err).Warn("compiling the component instead of loading its Winch code")
	}
	b, err := r.cranelift()
	if err != nil {
		return nil, capi.Optimized, b, err
	}
	var (
		c    *capi.Component
		tier capi.Tier
	)
	if a.cfg.CacheOnly {
		c, tier, err = capi.LoadCachedComponent(ctx, b.engine, sum, dir)
	} else {
		var bytes []byte
		if bytes, err = wasm.Bytes(); err == nil {
			c, tier, err = capi.CompileComponent(ctx, b.engine, bytes, sum, dir)
		}
	}
	return c, tier, b, err
}

// winchComponents is the App's Winch backend for components, made on first
// use.
func (a *App) winchComponents(ctx context.Context) (componentBackend, error) {
	r := a.components
	if r.winch == nil {
		e, err := capi.NewWinchEngine()
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
