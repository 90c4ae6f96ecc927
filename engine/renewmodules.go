package engine

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/coremodule"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// The core modules' instance pool is renewed as the components' is
// (renew.go): their optimised code is loaded into a fresh engine with a
// Host of its own, each module's Component moves to it (UpgradeTo, as for
// the tier-up from Winch's code), and the old engine, its Hosts and code
// close once their last Store has.

// moduleHandler is one core module's Component, as Stores find its code.
type moduleHandler struct {
	sum  [sha256.Size]byte
	comp *coremodule.Component
	// host is the Host of the code comp runs.
	host *coremodule.Host
	codeState
}

// addModule registers c, loaded from code of tier onto host, for the
// pool's renewal. a.modulesMu is held.
func (a *App) addModule(c *coremodule.Component, sum [sha256.Size]byte, host *coremodule.Host, tier capi.Tier, wasm *wasmSource) {
	a.modules = append(a.modules, &moduleHandler{sum: sum, comp: c, host: host, codeState: newCodeState(tier, wasm)})
}

// moduleUpgraded records that c runs m, its optimised code loaded by
// tier-up, on host (nil: the same Host). a.modulesMu is held.
func (a *App) moduleUpgraded(c *coremodule.Component, host *coremodule.Host, m *wasmtime.Module) {
	a.moduleRelease = append(a.moduleRelease, func() { m.Close() })
	for _, h := range a.modules {
		if h.comp == c {
			h.optimized = true
			if host != nil {
				h.host = host
			}
		}
	}
}

// renewIdleModules renews the core modules' instance pool when it is idle
// enough and worth it (the epoch ticker calls it at each tick).
func (a *App) renewIdleModules() {
	if a.cfg.PoolRenewIdle < 0 || a.cfg.CacheDir == "" || !a.modulesMu.TryLock() {
		return
	}
	defer a.modulesMu.Unlock()
	r := &a.moduleRenew
	if r.failed || !a.modulesRenewable(time.Now()) {
		return
	}
	old, err := a.renewModulesLocked(r.ctx, a.moduleKeep)
	if err != nil {
		r.failed = true
		log.G(r.ctx).WithError(err).Warn("cannot renew the core modules' instance pool: it keeps the memory of its busiest moment")
		return
	}
	a.epochs.add(a.engine)
	r.retiring.Go(func() { old.retire(&a.epochs) })
	log.G(r.ctx).Debug("renewed the core modules' idle instance pool")
}

// modulesRenewable is componentRuntime.renewable for the core modules.
// a.modulesMu is held.
func (a *App) modulesRenewable(now time.Time) bool {
	if len(a.modules) == 0 || a.core.InstanceLimit() == 0 {
		return false
	}
	hosts := []codeUsers{a.core}
	if a.winch != nil {
		hosts = append(hosts, a.winch.host)
	}
	return worthRenewing(a.modules) && idleAfterUse(a.cfg.PoolRenewIdle, now, hosts)
}

// renewModulesLocked loads every module's optimised code from the cache
// into a fresh engine, whose pool resets keep bytes of each freed memory
// in place, and Host, and moves the modules to it. It returns what was
// replaced, for retire; on error nothing has changed. a.modulesMu is held.
func (a *App) renewModulesLocked(ctx context.Context, keep int) (replacedCode, error) {
	engine, slots := capi.NewModuleEngineKeeping(keep)
	modules := map[[sha256.Size]byte]compiledModule{}
	var host *coremodule.Host
	fail := func(err error) (replacedCode, error) {
		for _, m := range modules {
			m.module.Close()
		}
		if host != nil {
			host.Close()
		}
		engine.Close()
		return replacedCode{}, err
	}
	host, err := coremodule.NewHost(a.coreHostConfig(engine, slots))
	if err != nil {
		return fail(err)
	}
	for _, h := range a.modules {
		if _, ok := modules[h.sum]; !ok {
			m, ok := capi.CachedModule(ctx, engine, h.sum, a.compiler.cache, capi.Optimized)
			if !ok {
				return fail(fmt.Errorf("component %q: its optimised code is no longer in the compile cache", h.comp.ID))
			}
			modules[h.sum] = compiledModule{module: m, tier: capi.Optimized}
		}
		if err := host.PrepareUpgrade(h.host, h.comp); err != nil {
			return fail(fmt.Errorf("component %q: %w", h.comp.ID, err))
		}
	}
	old := a.modulesCode()
	for _, h := range a.modules {
		h.comp.UpgradeTo(host, modules[h.sum].module)
		h.host = host
	}
	a.engine, a.core, a.winch, a.moduleRelease = engine, host, nil, nil
	a.compiler.engine, a.compiler.modules = engine, modules
	return old, nil
}

// modulesCode is what the core modules' code runs on, closed in this
// order: the Components' resolutions of their code, the code, the Hosts'
// linkers, the engines. a.modulesMu is held.
func (a *App) modulesCode() replacedCode {
	var c replacedCode
	for _, h := range a.modules {
		comp, loaded, current := h.comp, h.comp.Module, h.comp.CurrentModule()
		c.closers = append(c.closers, func() { comp.ReleaseResolved(loaded, current) })
	}
	c.closers = append(c.closers, a.moduleRelease...)
	for _, m := range a.compiler.modules {
		c.closers = append(c.closers, m.module.Close)
	}
	hosts, engines := []*coremodule.Host{a.core}, []*wasmtime.Engine{a.engine}
	if a.winch != nil {
		hosts, engines = append(hosts, a.winch.host), append(engines, a.winch.engine)
	}
	for _, h := range hosts {
		c.users = append(c.users, h)
		c.closers = append(c.closers, h.Close)
	}
	for _, e := range engines {
		c.epochs = append(c.epochs, e)
		c.closers = append(c.closers, e.Close)
	}
	return c
}
