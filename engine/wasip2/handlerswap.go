package wasip2

import (
	"sync/atomic"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// HandlerSwap holds the Handler of a component whose code is replaced
// while it is called (by the App's tier-up: optimised code in place of
// the fast code it was loaded with). Each call Loads the Handler once and
// finishes on it; the code replaced must stay loaded until no call uses
// it.
type HandlerSwap struct {
	atomic.Pointer[Handler]
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
