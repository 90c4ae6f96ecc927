package shim

import (
	"runtime/debug"
	"sync"
	"time"
)

// idleMemoryDelay is how long after the last start the server returns its
// free memory to the kernel.
const idleMemoryDelay = time.Second

// idleMemory returns the server's free memory to the kernel once it has
// settled after a start. Creating a task (reading the image over gRPC,
// parsing the spec) leaves garbage whose pages the Go runtime would give
// back only gradually; an idle server then holds ~0.2–0.3 MB less. A burst
// of starts (a pod's containers, a group) releases once, after the last.
type idleMemory struct {
	delay   time.Duration
	release func() // debug.FreeOSMemory; tests count calls instead
	mu      sync.Mutex
	timer   *time.Timer
}

func newIdleMemory() *idleMemory {
	return &idleMemory{delay: idleMemoryDelay, release: debug.FreeOSMemory}
}

// started (re)arms the release after a task started.
func (m *idleMemory) started() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.timer == nil {
		m.timer = time.AfterFunc(m.delay, m.release)
		return
	}
	m.timer.Reset(m.delay)
}
