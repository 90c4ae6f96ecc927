package shimserver

import (
	"context"
	"runtime/debug"
	"sync"
	"time"

	"github.com/containerd/ttrpc"
)

// idleMemoryDelay is how long after its last request the server returns
// its free memory to the kernel.
const idleMemoryDelay = time.Second

// idleMemory returns the server's free memory to the kernel once its
// requests have settled. Requests leave garbage whose pages the Go runtime
// gives back only gradually: creating a task reads the image and parses
// the spec; each Stats reads the cgroup's metrics (~55 KB allocated per call
// on cgroup v1), so a hello app's server polled for metrics (`ctr task
// metrics`, CRI's stats) held 5.2–5.5 MB anonymous instead of 3.9.
// A burst of requests (a pod's containers starting, a poll's State and
// Stats) releases once, after the last; a server nobody calls does nothing.
type idleMemory struct {
	delay   time.Duration
	release func() // debug.FreeOSMemory; tests count calls instead
	mu      sync.Mutex
	timer   *time.Timer
}

func newIdleMemory() *idleMemory {
	return &idleMemory{delay: idleMemoryDelay, release: debug.FreeOSMemory}
}

// requestDone (re)arms the release after a request has been answered.
func (m *idleMemory) requestDone() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.timer == nil {
		m.timer = time.AfterFunc(m.delay, m.release)
		return
	}
	m.timer.Reset(m.delay)
}

// newTTRPCServer is the server the task service is registered on: only
// containerd's user may connect, every connection is tracked in conns, and
// answered is told of every request once it is answered (its method as
// /service/method), whatever its result.
func newTTRPCServer(conns *connSet, answered func(fullMethod string)) (*ttrpc.Server, error) {
	return ttrpc.NewServer(ttrpc.WithServerHandshaker(trackingHandshake{conns: conns, check: ttrpc.UnixSocketRequireSameUser()}),
		ttrpc.WithUnaryServerInterceptor(func(ctx context.Context, unmarshal ttrpc.Unmarshaler, info *ttrpc.UnaryServerInfo, method ttrpc.Method) (any, error) {
			resp, err := method(ctx, unmarshal)
			answered(info.FullMethod)
			return resp, err
		}))
}
