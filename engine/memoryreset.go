package engine

import (
	"os"
	"slices"

	"github.com/containerd/log"
)

// The core modules' pool starts resetting capi.PoolKeepResident bytes of
// each freed memory in place, which suits guests whose runtime writes
// megabytes per request (Go's, a JS engine's). Once an instance of a
// module has recorded the pages it touched (coremodule's TouchedPages),
// the modules' optimised code is cached and their pool is under load, the
// App renews the pool with a reset fitted to the pages its modules
// touched: the hello module, which touches one page of its 64 KiB memory,
// no longer has the rest zeroed per request (~3 µs of its ~20).

// fittedResetMessage is logged once the core modules' pool is renewed
// with a fitted reset.
const fittedResetMessage = "the core modules' instance pool now resets only the start of each memory that fits the pages their instances touched"

// fitAfterCalls is how many calls the modules' current pool must have run
// before a fit renews it: renewing costs an app ~0.5 MB of its heap (the
// new engine, Host and code are made before the old are freed, and the
// allocator keeps what they leave), worth it for an app under load, not
// for one that answered a few probes and sits idle.
const fitAfterCalls = 256

// faultPages is what a page the pool gave back costs when touched again,
// counted in pages the reset writes: a page fault, and the TLB flush of
// giving it back, took ~3–6 µs here, zeroing a page in place ~0.2 µs.
const faultPages = 16

// fitKeepResident returns the bytes of each freed memory a pool should
// reset in place for modules that touch pages (indexes, ascending, of
// pages of pageSize bytes): the prefix costing least, where each page kept
// costs one and each touched page beyond it faultPages.
func fitKeepResident(touched []int, pageSize int) int {
	best, bestCost := 0, faultPages*len(touched)
	for i, p := range touched {
		// Keeping pages [0, p] leaves the touched pages after the i-th.
		if cost := p + 1 + faultPages*(len(touched)-i-1); cost < bestCost {
			best, bestCost = p+1, cost
		}
	}
	return best * pageSize
}

// fitModulesReset renews the core modules' pool with a reset fitted to
// the pages their sampled instances touched (the epoch ticker calls it at
// each tick): when the pool has run fitAfterCalls calls, all their code
// is optimised and cached, and the fit differs from what the pool keeps.
// The first module sampled makes the first fit; a module sampled later
// may only raise it (a page touched adds to the cost of every prefix below
// it), so an app renews its pool at most once per module. The old pool is
// closed without forcing a collection: a busy app collects soon enough.
func (a *App) fitModulesReset() {
	if a.cfg.PoolRenewIdle < 0 || a.cfg.CacheDir == "" || !a.modulesMu.TryLock() {
		return
	}
	defer a.modulesMu.Unlock()
	r := &a.moduleRenew
	samples := a.moduleSamplesLocked()
	if r.failed || samples == a.fitSamples || a.core.Started() < fitAfterCalls {
		return
	}
	keep, ok := a.fittedKeepLocked()
	if !ok {
		return
	}
	a.fitSamples = samples
	if keep == a.moduleKeep {
		return
	}
	old, err := a.renewModulesLocked(r.ctx, keep)
	if err != nil {
		r.failed = true
		log.G(r.ctx).WithError(err).Warn("cannot fit the core modules' memory reset: the pool resets the most it may")
		return
	}
	a.moduleKeep = keep
	a.epochs.add(a.engine)
	r.retiring.Go(func() { old.closeRetired(&a.epochs) })
	log.G(r.ctx).WithField("keep_resident", keep).Info(fittedResetMessage)
}

// moduleSamplesLocked is how many of the core modules' instances have
// recorded the pages they touched. a.modulesMu is held.
func (a *App) moduleSamplesLocked() int {
	n := 0
	for _, h := range a.modules {
		n += h.comp.MemorySamples()
	}
	return n
}

// fittedKeepLocked returns the reset that fits the pages the core
// modules' sampled instances touched (the caller knows some were), if
// their code is all optimised (which a renewal loads from the cache) and
// the pool can be renewed (pooled). a.modulesMu is held.
func (a *App) fittedKeepLocked() (int, bool) {
	if len(a.modules) == 0 || a.core.InstanceLimit() == 0 {
		return 0, false
	}
	var touched []int
	for _, h := range a.modules {
		if !h.optimized {
			return 0, false
		}
		touched = append(touched, h.comp.TouchedPages()...)
	}
	slices.Sort(touched)
	return fitKeepResident(slices.Compact(touched), os.Getpagesize()), true
}
