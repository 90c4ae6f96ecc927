package wasip2

import (
	"sync/atomic"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// HandlerSwap holds the Handler of a component whose code is replaced
// while it is called: by the App's tier-up (optimised code in place of the
// fast code it was loaded with) and when the App renews its instance pool
// (the same code loaded into a fresh engine). Each call Acquires the
// Handler once and finishes on it; the code replaced must stay loaded until
// no call uses it, which its engine's Retire tells.
type HandlerSwap struct {
	atomic.Pointer[Handler]
}

// Acquire returns the Handler a call runs and the function that ends the
// call, once its Store is closed (or being closed by CloseAsync). A call
// never starts on an engine that is retired: the code was swapped before
// the engine was retired, so loading it again finds the new engine's.
func (s *HandlerSwap) Acquire() (*Handler, func()) {
	for {
		h := s.Load()
		if h.Engine.Use() {
			return h, h.Engine.Done
		}
	}
}

// Upgrade makes later calls instantiate c, the same component compiled
// again for the same engine.
func (s *HandlerSwap) Upgrade(c *capi.Component) {
	h := *s.Load()
	h.Component = c
	s.Store(&h)
}

// UpgradeTo is Upgrade for code of another engine (optimised code in
// place of Winch's): later calls use engine and linker.
func (s *HandlerSwap) UpgradeTo(engine *capi.Engine, linker *capi.Linker, c *capi.Component) {
	h := *s.Load()
	h.Engine, h.Linker, h.Component = engine, linker, c
	s.Store(&h)
}
