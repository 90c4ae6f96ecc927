package engine

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/coremodule"
	componentexec "github.com/spinoci/spinoci/engine/executor/component"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// After a first start the app runs the fast code its compile stage cached
// (TierFast) while the shim's optimising compile stage caches the
// optimised code. tierUp moves the App's components to it once it is there:
// new requests instantiate the optimised code (each has a fresh instance),
// requests in flight finish on the fast code, which stays loaded until the
// App closes.
type tierUp struct {
	pending []upgrade
	// loaded is the optimised code swapped in, released at close.
	loaded []func()
	stop   chan struct{}
	done   chan struct{}
}

// upgrade is one component waiting for its optimised code.
type upgrade struct {
	id string
	// swap loads the optimised code from the cache and swaps it in; it
	// returns its release, or false while it is not cached (a nil release
	// with true: it gave up).
	swap func(ctx context.Context) (release func(), ok bool)
}

// Polling the cache (a failed open of a checksum file per pending
// component) stops after tierUpWait: an optimising stage that has not
// finished by then is not coming.
const (
	tierUpPoll = 500 * time.Millisecond
	tierUpWait = 30 * time.Minute
)

// watchComponent upgrades exec, running the fast code (of tier) of the
// wasm whose sha256 is sum, when the optimised code is cached.
func (a *App) watchComponent(id string, sum [sha256.Size]byte, exec *componentexec.Executor, tier capi.Tier) {
	engine, cache := a.components.engine, a.compiler.cache
	if tier == capi.Winch {
		a.addUpgrade(upgrade{id: id, swap: func(ctx context.Context) (func(), bool) {
			return upgradeFromWinch(ctx, engine, cache, sum, exec)
		}})
		return
	}
	a.addUpgrade(upgrade{id: id, swap: func(ctx context.Context) (func(), bool) {
		c, ok := capi.CachedComponent(ctx, engine, sum, cache, capi.Optimized)
		if !ok {
			return nil, false
		}
		exec.Upgrade(c)
		return c.Close, true
	}})
}

// upgradeFromWinch moves exec from its Winch code to the optimised code of
// the wasm whose sha256 is sum once cache holds it: loaded into engine, the
// App's Cranelift engine, with a linker of its own (the WASI host and the
// component's unsupported imports), so that no linker in use is changed.
func upgradeFromWinch(ctx context.Context, engine *capi.Engine, cache *capi.Cache, sum [sha256.Size]byte, exec *componentexec.Executor) (func(), bool) {
	c, ok := capi.CachedComponent(ctx, engine, sum, cache, capi.Optimized)
	if !ok {
		return nil, false
	}
	l, err := newComponentLinker(engine)
	if err == nil {
		if err = l.DefineMissing(c, unsupportedImport); err != nil {
			l.Close()
		}
	}
	if err != nil {
		// Not again: the same code would fail the same way.
		log.G(ctx).WithError(err).Warn("cannot link the optimised code: keeping the Winch code")
		c.Close()
		return nil, true
	}
	exec.UpgradeTo(componentexec.Runtime{Engine: engine, Linker: l}, c)
	return func() { c.Close(); l.Close() }, true
}

// watchModule upgrades c, running the fast code of the wasm whose sha256
// is sum, when the optimised code is cached.
func (a *App) watchModule(sum [sha256.Size]byte, c *coremodule.Component) {
	engine, cache := a.engine, a.compiler.cache
	a.addUpgrade(upgrade{id: c.ID, swap: func(ctx context.Context) (func(), bool) {
		m, ok := capi.CachedModule(ctx, engine, sum, cache, capi.Optimized)
		if !ok {
			return nil, false
		}
		c.Upgrade(m)
		return func() { closeModule(m) }, true
	}})
}

// watchWinchModule upgrades c, running the Winch code (on host) of the
// wasm whose sha256 is sum, to the optimised code when it is cached:
// loaded into the App's Cranelift engine, whose Host then makes c's
// Stores. It returns an error when that Host cannot be made ready for c.
func (a *App) watchWinchModule(host *coremodule.Host, sum [sha256.Size]byte, c *coremodule.Component) error {
	if !a.canUpgrade() {
		return nil
	}
	// Now, before the App serves: the Cranelift Host's linker is in use
	// once it does.
	if err := a.core.PrepareUpgrade(host, c); err != nil {
		return fmt.Errorf("prepare the move to optimised code: %w", err)
	}
	engine, core, cache := a.engine, a.core, a.compiler.cache
	a.addUpgrade(upgrade{id: c.ID, swap: func(ctx context.Context) (func(), bool) {
		m, ok := capi.CachedModule(ctx, engine, sum, cache, capi.Optimized)
		if !ok {
			return nil, false
		}
		c.UpgradeTo(core, m)
		return func() { closeModule(m) }, true
	}})
	return nil
}

func closeModule(m *wasmtime.Module) { m.Close() }

// canUpgrade reports whether addUpgrade would take an upgrade now.
func (a *App) canUpgrade() bool {
	return a.cfg.CacheDir != "" && (a.tierUp == nil || a.tierUp.stop == nil)
}

// addUpgrade adds u to the upgrades started by startTierUp. Components
// loaded after (those of other triggers) keep their fast code.
func (a *App) addUpgrade(u upgrade) {
	if !a.canUpgrade() {
		return
	}
	if a.tierUp == nil {
		a.tierUp = &tierUp{}
	}
	a.tierUp.pending = append(a.tierUp.pending, u)
}

// startTierUp starts polling for the optimised code of the components
// added with watchComponent and watchModule.
func (a *App) startTierUp(ctx context.Context) {
	t := a.tierUp
	if t == nil {
		return
	}
	t.stop, t.done = make(chan struct{}), make(chan struct{})
	ctx = context.WithoutCancel(ctx)
	go t.run(ctx)
}

func (t *tierUp) run(ctx context.Context) {
	defer close(t.done)
	tick := time.NewTicker(tierUpPoll)
	defer tick.Stop()
	deadline := time.After(tierUpWait)
	for len(t.pending) > 0 {
		select {
		case <-t.stop:
			return
		case <-deadline:
			log.G(ctx).WithField("components", len(t.pending)).Info("optimised code did not appear in the compile cache: keeping the fast code")
			return
		case <-tick.C:
		}
		left := t.pending[:0]
		for _, u := range t.pending {
			release, ok := u.swap(ctx)
			if !ok {
				left = append(left, u)
				continue
			}
			if release == nil { // gave up (logged)
				continue
			}
			t.loaded = append(t.loaded, release)
			log.G(ctx).WithField("component", u.id).Info("serving the optimised code")
		}
		t.pending = left
	}
}

// close stops polling and releases the optimised code (after the requests
// that use it: Close is called after Serve returned).
func (t *tierUp) close() {
	if t == nil {
		return
	}
	if t.stop != nil {
		close(t.stop)
		<-t.done
		t.stop = nil
	}
	for _, release := range t.loaded {
		release()
	}
	t.loaded = nil
}

// RunsFastCode reports whether Load (triggers included) loaded some wasm
// from fast-tier code (Cranelift's or Winch's): the app's compile cache
// needs an optimising compile stage.
func (a *App) RunsFastCode() bool { return a.runsFast }
