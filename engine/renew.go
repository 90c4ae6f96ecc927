package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// An instance pool keeps the memory of every slot it has used resident
// (capi.PoolKeepResident of each, or less as fitted: memoryreset.go), so
// an app keeps the memory of its busiest moment: a JS component's app
// that served 50 requests at once kept ~400 MB when idle. Wasmtime cannot
// give a slot's memory back, but a pool ends with its engine. So once an
// App's components have not run for Config.PoolRenewIdle, and their pool
// was used by more than one call at once, the App loads their optimised
// code from the compile cache into a fresh engine (a few milliseconds: the
// code is memory-mapped) and swaps it in; the old engine closes once its
// last call has ended. Calls never wait for it: one arriving meanwhile
// runs on the old engine.

// poolRenewal is the state of a componentRuntime's pool renewal.
type poolRenewal struct {
	// ctx is Load's, without its cancel, for the log.
	ctx context.Context
	// failed: the code could not be loaded again; the pool stays.
	failed bool
	// retiring counts the replaced backends not yet closed.
	retiring sync.WaitGroup
}

// renewIdleComponents renews the components' instance pool when it is
// idle enough and worth it (the epoch ticker calls it at each tick).
func (a *App) renewIdleComponents() {
	r := a.components
	if a.cfg.PoolRenewIdle < 0 || a.cfg.CacheDir == "" || !r.mu.TryLock() {
		return
	}
	defer r.mu.Unlock()
	if !r.renewable(a.cfg.PoolRenewIdle, time.Now()) {
		return
	}
	ctx := r.renew.ctx
	old, err := r.renewLocked(ctx, a.compiler.cache)
	if err != nil {
		r.renew.failed = true
		log.G(ctx).WithError(err).Warn("cannot renew the components' instance pool: it keeps the memory of its busiest moment")
		return
	}
	a.epochs.add(r.engine)
	r.renew.retiring.Go(func() { old.retire(&a.epochs) })
	log.G(ctx).Debug("renewed the components' idle instance pool")
}

// renewable reports whether the pool is to be renewed at now: no call for
// idle, more than one slot used, and worthRenewing (all code optimised,
// which the cache holds: a tier-up still to come would load its code into
// the old engine).
// r.mu is held.
func (r *componentRuntime) renewable(idle time.Duration, now time.Time) bool {
	if r.renew.failed || r.engine == nil {
		return false
	}
	return worthRenewing(r.handlers) && idleAfterUse(idle, now, r.code().users)
}

// codeState is what a renewal asks of a component's or module's code.
type codeState struct {
	// optimized: the code is the optimised code (loaded so, or tier-up
	// done); only then can a renewal load it from the cache.
	optimized bool
	// large: the wasm is large (largeImageBytes), and so its memory.
	large bool
}

func newCodeState(tier capi.Tier, wasm *wasmSource) codeState {
	return codeState{optimized: tier == capi.Optimized, large: wasm.large()}
}

func (s *codeState) state() *codeState { return s }

// worthRenewing reports whether the code of hs can be renewed (all of it
// optimised) and gains from it (some of it large: a small guest keeps
// little resident).
func worthRenewing[H interface{ state() *codeState }](hs []H) bool {
	large := false
	for _, h := range hs {
		s := h.state()
		if !s.optimized {
			return false
		}
		large = large || s.large
	}
	return large
}

// renewLocked loads every component's optimised code from cache into a
// fresh engine and linker and swaps it in. It returns the code replaced,
// for retire; on error nothing has changed. r.mu is held.
func (r *componentRuntime) renewLocked(ctx context.Context, cache *capi.Cache) (replacedCode, error) {
	fresh := &componentRuntime{engine: capi.NewEngine()}
	l, err := newComponentLinker(fresh.engine)
	if err != nil {
		fresh.code().close()
		return replacedCode{}, err
	}
	fresh.linker = l
	code := make([]*capi.Component, len(r.handlers))
	for i, h := range r.handlers {
		c, ok := capi.CachedComponent(ctx, fresh.engine, h.sum, cache, capi.Optimized)
		if !ok {
			fresh.code().close()
			return replacedCode{}, fmt.Errorf("component %q: its optimised code is no longer in the compile cache", h.id)
		}
		code[i] = c
		fresh.release = append(fresh.release, c.Close)
		if err := l.DefineMissing(c, unsupportedImport); err != nil {
			fresh.code().close()
			return replacedCode{}, fmt.Errorf("component %q: link its unsupported imports: %w", h.id, err)
		}
	}
	old := r.code()
	for i, h := range r.handlers {
		h.code.UpgradeTo(fresh.engine, l, code[i])
	}
	r.engine, r.linker, r.winch, r.release = fresh.engine, l, nil, fresh.release
	return old, nil
}

// codeUsers are the engines (or core module Hosts) whose calls a renewal
// waits for.
type codeUsers interface {
	Usage() (calls, peak int, idleSince time.Time)
	Retire() <-chan struct{}
}

// replacedCode is what a pool's renewal replaced (or a failed one made):
// the engines or Hosts whose calls must end before it closes, the engines
// whose epochs advance until then, and its closing steps, in order.
type replacedCode struct {
	users   []codeUsers
	epochs  []interface{ IncrementEpoch() }
	closers []func()
}

// close runs c's closing steps.
func (c replacedCode) close() {
	for _, f := range c.closers {
		f()
	}
}

// retire closes c once the calls still running on it have ended (until
// then its epochs advance, so that its guests' limits hold), and collects
// the garbage that still holds it (collectFinalized).
func (c replacedCode) retire(epochs *epochEngines) {
	c.closeRetired(epochs)
	collectFinalized()
}

// closeRetired is retire without the collection, for a renewal that
// does not renew to free memory: what garbage still holds the old engine
// goes at the next collection, and a collection forced in an idle app
// costs it ~1 MB of the collector's own.
func (c replacedCode) closeRetired(epochs *epochEngines) {
	for _, u := range c.users {
		<-u.Retire()
	}
	for _, e := range c.epochs {
		epochs.remove(e)
	}
	c.close()
}

// idleAfterUse reports whether none of users has had a call for idle
// before now, and together they ran more than one at once: more than one
// instance slot of their pools holds memory.
func idleAfterUse(idle time.Duration, now time.Time, users []codeUsers) bool {
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
