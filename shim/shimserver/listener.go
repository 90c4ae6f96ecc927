package shimserver

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/containerd/ttrpc"
)

// trackedListener is the server's socket as its ttrpc server accepts from
// it: first the connections a previous process of the server handed over,
// then new ones; a renewal can pause it.
type trackedListener struct {
	net.Listener
	mu        sync.Mutex
	inherited []*trackedConn
	pause     *readPause
}

func newTrackedListener(l net.Listener, inherited []*trackedConn) *trackedListener {
	return &trackedListener{Listener: l, inherited: inherited}
}

// Accept returns the next connection. Deadlines are only ever set to pause
// it: an expired one parks it until the pause ends.
func (l *trackedListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if len(l.inherited) > 0 {
		c := l.inherited[0]
		l.inherited = l.inherited[1:]
		l.mu.Unlock()
		return c, nil
	}
	l.mu.Unlock()
	for {
		c, err := l.Listener.Accept()
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return c, err
		}
		l.mu.Lock()
		pause := l.pause
		l.mu.Unlock()
		if pause != nil {
			pause.park()
		}
	}
}

type deadliner interface{ SetDeadline(time.Time) error }

// pauseAccepting parks Accept at its next wait; the pause's parked channel
// closes once it is parked (at once for a listener without deadlines,
// which cannot be paused: a connection it accepts meanwhile stops the
// renewal).
func (l *trackedListener) pauseAccepting() *readPause {
	p := newReadPause()
	l.mu.Lock()
	l.pause = p
	l.mu.Unlock()
	d, ok := l.Listener.(deadliner)
	if !ok || d.SetDeadline(time.Now()) != nil {
		p.once.Do(func() { close(p.parked) })
	}
	return p
}

// resumeAccepting ends pause p.
func (l *trackedListener) resumeAccepting(p *readPause) {
	if d, ok := l.Listener.(deadliner); ok {
		_ = d.SetDeadline(time.Time{})
	}
	l.mu.Lock()
	l.pause = nil
	l.mu.Unlock()
	close(p.resume)
}

// trackingHandshake admits only containerd's user, as containerd's shims
// do, and tracks every connection it admits.
type trackingHandshake struct {
	conns *connSet
	check ttrpc.UnixCredentialsFunc
}

func (h trackingHandshake) Handshake(ctx context.Context, conn net.Conn) (net.Conn, any, error) {
	tracked, inherited := conn.(*trackedConn)
	raw := conn
	if inherited {
		raw = tracked.Conn
	}
	_, info, err := h.check.Handshake(ctx, raw)
	if err != nil {
		return nil, nil, err
	}
	if !inherited {
		tracked = newTrackedConn(raw, h.conns, nil)
	}
	h.conns.add(tracked)
	return tracked, info, nil
}
