package engine

import (
	"context"
	"crypto/sha256"
	"fmt"
	"runtime"
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
	// optimized and large: as componentHandler's.
	optimized, large bool
}

// addModule registers c, loaded from code of tier onto host, for the
// pool's renewal. a.modulesMu is held.
func (a *App) addModule(c *coremodule.Component, sum [sha256.Size]byte, host *coremodule.Host, tier capi.Tier, wasm *wasmSource) {
	a.modules = append(a.modules, &moduleHandler{
		sum: sum, comp: c, host: host,
		optimized: tier == capi.Optimized, large: wasm.size >= largeImageBytes,
	})
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
	old, err := a.renewModulesLocked(r.ctx)
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
	large := false
	for _, h := range a.modules {
		if !h.optimized {
			return false
		}
		large = large || h.large
	}
	hosts := []usage{a.core}
	if a.winch != nil {
		hosts = append(hosts, a.winch.host)
	}
	return large && idleAfterUse(a.cfg.PoolRenewIdle, now, hosts...)
}

// renewModulesLocked loads every module's optimised code from the cache
// into a fresh engine and Host and moves the modules to it. It returns
// what was replaced, for retire; on error nothing has changed.
// a.modulesMu is held.
func (a *App) renewModulesLocked(ctx context.Context) (moduleBackends, error) {
	engine, slots := capi.NewModuleEngine()
	fresh := moduleBackends{engines: []*wasmtime.Engine{engine}}
	host, err := coremodule.NewHost(a.coreHostConfig(engine, slots))
	if err != nil {
		fresh.close()
		return moduleBackends{}, err
	}
	fresh.hosts = append(fresh.hosts, host)
	modules := map[[sha256.Size]byte]compiledModule{}
	for _, h := range a.modules {
		if _, ok := modules[h.sum]; !ok {
			m, ok := capi.CachedModule(ctx, engine, h.sum, a.compiler.cache, capi.Optimized)
			if !ok {
				fresh.close()
				return moduleBackends{}, fmt.Errorf("component %q: its optimised code is no longer in the compile cache", h.comp.ID)
			}
			modules[h.sum] = compiledModule{module: m, tier: capi.Optimized}
			fresh.modules = append(fresh.modules, m)
		}
		if err := host.PrepareUpgrade(h.host, h.comp); err != nil {
			fresh.close()
			return moduleBackends{}, fmt.Errorf("component %q: %w", h.comp.ID, err)
		}
	}
	old := moduleBackends{engines: []*wasmtime.Engine{a.engine}, hosts: []*coremodule.Host{a.core}, release: a.moduleRelease}
	if a.winch != nil {
		old.engines = append(old.engines, a.winch.engine)
		old.hosts = append(old.hosts, a.winch.host)
	}
	for _, m := range a.compiler.modules {
		old.modules = append(old.modules, m.module)
	}
	for _, h := range a.modules {
		old.resolved = append(old.resolved, resolvedCode{comp: h.comp, module: h.comp.CurrentModule()})
		h.comp.UpgradeTo(host, modules[h.sum].module)
		h.host = host
	}
	a.engine, a.core, a.winch, a.moduleRelease = engine, host, nil, nil
	a.compiler.engine, a.compiler.modules = engine, modules
	return old, nil
}

// moduleBackends are core module engines and what was made from them.
type moduleBackends struct {
	engines []*wasmtime.Engine
	hosts   []*coremodule.Host
	modules []*wasmtime.Module
	// release releases the code tier-up loaded.
	release []func()
	// resolved are the modules' imports resolved for the code replaced.
	resolved []resolvedCode
}

// resolvedCode is a Component and the module of its code replaced.
type resolvedCode struct {
	comp   *coremodule.Component
	module *wasmtime.Module
}

// retire closes b once the Stores still open on its Hosts are closed;
// until then their epochs advance, so that their guests' limits hold.
func (b moduleBackends) retire(epochs *epochEngines) {
	for _, h := range b.hosts {
		<-h.Retire()
	}
	for _, e := range b.engines {
		epochs.remove(e)
	}
	for _, r := range b.resolved {
		r.comp.ReleaseResolved(r.module)
	}
	b.close()
	// Wasmtime frees the pool when the last reference to its engine goes,
	// and garbage Go objects of the old code (a resolution a Store of the
	// new code replaced) hold some until they are collected.
	runtime.GC()
}

// close releases b's code, then its Hosts' linkers, then its engines.
func (b moduleBackends) close() {
	for _, release := range b.release {
		release()
	}
	for _, m := range b.modules {
		m.Close()
	}
	for _, h := range b.hosts {
		h.Close()
	}
	for _, e := range b.engines {
		e.Close()
	}
}

// usage is what idleAfterUse reads of an engine's or a Host's calls.
type usage interface {
	Usage() (calls, peak int, idleSince time.Time)
}

// idleAfterUse reports whether none of users has had a call for idle
// before now, and together they ran more than one at once: more than one
// instance slot of their pools holds memory.
func idleAfterUse(idle time.Duration, now time.Time, users ...usage) bool {
	used := 0
	for _, u := range users {
		calls, peak, idleSince := u.Usage()
		if calls > 0 || now.Sub(idleSince) < idle {
			return false
		}
		used += peak
	}
	return used > 1
}
