package engine

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/coremodule"
	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/engine/wasip2"
)

// After a first start the app runs the fast code its compile stage cached
// (TierFast) while the shim's optimising compile stage caches the
// optimised code. tierUp moves the App's components to it once it is there:
// new requests and messages instantiate the optimised code (each has a
// fresh instance), those in flight finish on the fast code, which stays
// loaded until the App closes or renews its pools (renew.go). Components
// of every trigger move: those Load loads (HTTP) and those loaded after it
// (Redis, MQTT, command), so upgrades are added at any time until Close.
type tierUp struct {
	mu sync.Mutex
	// ctx is Load's, without its cancel, for the poller's log.
	ctx context.Context
	// started: Load is done (startTierUp), the poller may run.
	started bool
	// polling: a poller runs; it ends when nothing is pending.
	polling bool
	closed  bool
	pending []upgrade
	// loaded is the optimised code swapped in, released at close.
	loaded []func()
	stop   chan struct{} // closed by close
	done   sync.WaitGroup
}

// upgrade is one component waiting for its optimised code.
type upgrade struct {
	id string
	// swap loads the optimised code from the cache and swaps it in; it
	// returns its release, or false while it is not cached (a nil release
	// with true: it gave up).
	swap func(ctx context.Context) (release func(), ok bool)
	// until is when polling for it ends.
	until time.Time
}

// Polling the cache (a failed open of a checksum file per pending
// component) stops after tierUpWait: an optimising stage that has not
// finished by then is not coming.
const (
	tierUpPoll = 500 * time.Millisecond
	tierUpWait = 30 * time.Minute
)

// watchComponent upgrades code, the fast code (of tier) of the wasm whose
// sha256 is sum, when the optimised code is cached. The optimised code is
// the component runtime's to release, with its engine (the pool's renewal
// may replace it before the App closes).
func (a *App) watchComponent(id string, sum [sha256.Size]byte, code *wasip2.HandlerSwap, tier capi.Tier) {
	r, cache := a.components, a.compiler.cache
	a.addUpgrade(upgrade{id: id, swap: func(ctx context.Context) (func(), bool) {
		r.mu.Lock()
		defer r.mu.Unlock()
		var release func()
		var ok bool
		if tier == capi.Winch {
			release, ok = upgradeFromWinch(ctx, r.engine, cache, sum, code)
		} else {
			var c *capi.Component
			if c, ok = capi.CachedComponent(ctx, r.engine, sum, cache, capi.Optimized); ok {
				code.Upgrade(c)
				release = c.Close
			}
		}
		if release == nil {
			return nil, ok
		}
		r.upgraded(code, release)
		return func() {}, true
	}})
}

// upgradeFromWinch moves code, Winch's, to the optimised code of the wasm
// whose sha256 is sum once cache holds it: loaded into engine, the
// App's Cranelift engine, with a linker of its own (the WASI host and the
// component's unsupported imports), so that no linker in use is changed.
func upgradeFromWinch(ctx context.Context, engine *capi.Engine, cache *capi.Cache, sum [sha256.Size]byte, code *wasip2.HandlerSwap) (func(), bool) {
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
	code.UpgradeTo(engine, l, c)
	return func() { c.Close(); l.Close() }, true
}

// watchModule upgrades c, running the fast code of the wasm whose sha256
// is sum, when the optimised code is cached.
func (a *App) watchModule(sum [sha256.Size]byte, c *coremodule.Component) {
	a.addUpgrade(upgrade{id: c.ID, swap: func(ctx context.Context) (func(), bool) {
		a.modulesMu.Lock()
		defer a.modulesMu.Unlock()
		m, ok := capi.CachedModule(ctx, a.engine, sum, a.compiler.cache, capi.Optimized)
		if !ok {
			return nil, false
		}
		c.Upgrade(m)
		a.moduleUpgraded(c, nil, m)
		return func() {}, true
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
	// Now, before c's executor serves, so that the optimised code links
	// when it is swapped in. For a trigger's module this runs after Load,
	// when the Cranelift Host's linker may be in use: the Host orders its
	// definitions and uses (only Spin 0.8 HTTP modules need any).
	if err := a.core.PrepareUpgrade(host, c); err != nil {
		return fmt.Errorf("prepare the move to optimised code: %w", err)
	}
	a.addUpgrade(upgrade{id: c.ID, swap: func(ctx context.Context) (func(), bool) {
		a.modulesMu.Lock()
		defer a.modulesMu.Unlock()
		m, ok := capi.CachedModule(ctx, a.engine, sum, a.compiler.cache, capi.Optimized)
		if !ok {
			return nil, false
		}
		c.UpgradeTo(a.core, m)
		a.moduleUpgraded(c, a.core, m)
		return func() {}, true
	}})
	return nil
}

// canUpgrade reports whether addUpgrade would take an upgrade now.
func (a *App) canUpgrade() bool {
	return a.cfg.CacheDir != "" && !a.tierUp.isClosed()
}

// addUpgrade adds u to the upgrades polled for: at once when Load is done
// (startTierUp), else from then on.
func (a *App) addUpgrade(u upgrade) {
	if a.cfg.CacheDir == "" {
		return
	}
	t := &a.tierUp
	u.until = time.Now().Add(tierUpWait)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.pending = append(t.pending, u)
	t.pollLocked()
}

// startTierUp starts polling for the optimised code of the components
// added with watchComponent, watchModule and watchWinchModule, during
// Load or after it (other triggers' components).
func (a *App) startTierUp(ctx context.Context) {
	t := &a.tierUp
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ctx, t.started = context.WithoutCancel(ctx), true
	t.pollLocked()
}

// pollLocked starts the poller unless it runs, or nothing is pending,
// or it may not yet (Load is not done) or no more (closed). t.mu is held.
func (t *tierUp) pollLocked() {
	if !t.started || t.closed || t.polling || len(t.pending) == 0 {
		return
	}
	if t.stop == nil {
		t.stop = make(chan struct{})
	}
	t.polling = true
	t.done.Add(1)
	go t.run(t.ctx, t.stop)
}

// run polls until nothing is pending or close stops it. The swaps run
// without t.mu, so that upgrades are added meanwhile.
func (t *tierUp) run(ctx context.Context, stop <-chan struct{}) {
	defer t.done.Done()
	tick := time.NewTicker(tierUpPoll)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			t.mu.Lock()
			t.polling = false
			t.mu.Unlock()
			return
		case <-tick.C:
		}
		t.mu.Lock()
		batch := t.pending
		t.pending = nil
		t.mu.Unlock()
		left, loaded := trySwaps(ctx, batch)
		t.mu.Lock()
		t.loaded = append(t.loaded, loaded...)
		t.pending = append(left, t.pending...)
		idle := len(t.pending) == 0
		if idle {
			t.polling = false
		}
		t.mu.Unlock()
		if idle {
			return
		}
	}
}

// trySwaps swaps in the optimised code of those of batch that have it
// cached: it returns those still waiting and the releases of the code
// swapped in. Those waited for long enough are dropped.
func trySwaps(ctx context.Context, batch []upgrade) (left []upgrade, loaded []func()) {
	now := time.Now()
	for _, u := range batch {
		release, ok := u.swap(ctx)
		switch {
		case !ok && now.After(u.until):
			log.G(ctx).WithField("component", u.id).Info("optimised code did not appear in the compile cache: keeping the fast code")
		case !ok:
			left = append(left, u)
		case release == nil: // gave up (logged)
		default:
			loaded = append(loaded, release)
			log.G(ctx).WithField("component", u.id).Info("serving the optimised code")
		}
	}
	return left, loaded
}

func (t *tierUp) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// close stops polling, takes no more upgrades and releases the optimised
// code (after the requests and messages that use it: Close is called
// after Serve returned).
func (t *tierUp) close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	if t.stop != nil {
		close(t.stop)
	}
	t.mu.Unlock()
	t.done.Wait()
	t.mu.Lock()
	loaded := t.loaded
	t.loaded, t.pending = nil, nil
	t.mu.Unlock()
	for _, release := range loaded {
		release()
	}
}

// RunsFastCode reports whether Load (triggers included) loaded some wasm
// from fast-tier code (Cranelift's or Winch's): the app's compile cache
// needs an optimising compile stage.
func (a *App) RunsFastCode() bool { return a.runsFast }
