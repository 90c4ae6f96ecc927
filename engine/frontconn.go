package engine

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// deadlineTick is how often the front's listener fires the read deadlines
// it keeps (see frontListener): a deadline fires up to one tick late.
const deadlineTick = 500 * time.Millisecond

// frontListener is the HTTP front's listener. It bounds the connections
// open at once (Accept waits for one to close: more wait in the listen
// backlog), knows which connections are serving a request (for the
// drain), and keeps the read deadlines net/http sets on every request
// itself: the header, whole-request and idle timeouts are re-armed two or
// three times per request, each a clock read and a runtime timer change
// (~0.5 µs of a hello request's ~20 µs), so a deadline at least two ticks
// ahead is only recorded, and a sweep every tick closes the reads of the
// connections past theirs. Deadlines nearer than that (net/http's
// interruption of a pending read sets one in the past) go to the
// connection as they are.
type frontListener struct {
	net.Listener
	slots chan struct{} // one per open connection
	tick  time.Duration
	// now is the sweep's clock (Unix nanoseconds), which tells a
	// deadline far enough ahead to be kept coarse.
	now    atomic.Int64
	closed chan struct{}
	once   sync.Once

	mu    sync.Mutex
	conns map[*frontConn]struct{}
	// wake starts the sweep again once a connection opens: with none
	// open, it does not tick.
	wake chan struct{}
}

// newFrontListener bounds ln at maxConns connections at once and sweeps
// the read deadlines every tick.
func newFrontListener(ln net.Listener, maxConns int, tick time.Duration) *frontListener {
	l := &frontListener{
		Listener: ln, slots: make(chan struct{}, maxConns), tick: tick,
		closed: make(chan struct{}), conns: map[*frontConn]struct{}{}, wake: make(chan struct{}, 1),
	}
	l.now.Store(time.Now().UnixNano())
	go l.sweep()
	return l
}

// Accept waits for a free connection slot, then accepts.
func (l *frontListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	fc := &frontConn{Conn: c, l: l}
	// The sweep's clock may have stopped while no connection was open.
	l.now.Store(time.Now().UnixNano())
	l.mu.Lock()
	l.conns[fc] = struct{}{}
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return fc, nil
}

// Close closes the listener; the connections stay open, and their
// deadlines swept until they end.
func (l *frontListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// connState is the http.Server's ConnState hook: it records whether a
// connection serves a request, and forgets those that end.
func (l *frontListener) connState(c net.Conn, state http.ConnState) {
	fc, ok := c.(*frontConn)
	if !ok {
		return
	}
	fc.serving.Store(state == http.StateActive)
	if state == http.StateClosed || state == http.StateHijacked {
		l.mu.Lock()
		delete(l.conns, fc)
		l.mu.Unlock()
	}
}

// closeConns closes the open connections (their requests' reads and
// writes fail).
func (l *frontListener) closeConns() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		_ = c.Conn.Close()
	}
}

// serving is how many connections serve a request now.
func (l *frontListener) serving() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for c := range l.conns {
		if c.serving.Load() {
			n++
		}
	}
	return n
}

// sweep fires the recorded read deadlines that have passed, every tick
// while a connection is open; once the listener is closed, until the last
// connection is closed. (A closed connection stays in conns while its
// request runs: the hook forgets it.)
func (l *frontListener) sweep() {
	t := time.NewTicker(l.tick)
	defer t.Stop()
	for range t.C {
		now := time.Now()
		l.now.Store(now.UnixNano())
		open := 0
		l.mu.Lock()
		for c := range l.conns {
			if !c.closed.Load() {
				open++
				c.fireReadDeadline(now.UnixNano())
			}
		}
		l.mu.Unlock()
		if open > 0 {
			continue
		}
		t.Stop()
		select {
		case <-l.closed:
			return
		case <-l.wake:
		}
		t.Reset(l.tick)
	}
}

// frontConn is a connection of the front (see frontListener).
type frontConn struct {
	net.Conn
	l         *frontListener
	serving   atomic.Bool
	closed    atomic.Bool
	closeOnce sync.Once

	// readBy is the recorded read deadline (Unix nanoseconds; 0: none).
	readBy atomic.Int64
	// mu orders the changes of the connection's own read deadline and of
	// exact: the connection itself has a read deadline (set as it was
	// given, or fired by the sweep).
	mu    sync.Mutex
	exact atomic.Bool
}

// SetReadDeadline records t if it is at least two ticks ahead of the
// sweep's clock; otherwise (or to clear it) it sets it on the connection.
// Recording takes no lock: a sweep that fires the deadline t replaces
// does so only if that one had passed, as its timer would have.
func (c *frontConn) SetReadDeadline(t time.Time) error {
	if !t.IsZero() && t.UnixNano() >= c.l.now.Load()+2*int64(c.l.tick) {
		c.readBy.Store(t.UnixNano())
		if !c.exact.Load() {
			return nil
		}
		t = time.Time{} // the connection's deadline goes
	} else {
		c.readBy.Store(0)
		if t.IsZero() && !c.exact.Load() {
			return nil
		}
	}
	c.mu.Lock()
	c.exact.Store(!t.IsZero())
	err := c.Conn.SetReadDeadline(t)
	c.mu.Unlock()
	return err
}

// SetDeadline sets the read deadline as SetReadDeadline and the write
// deadline on the connection.
func (c *frontConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetWriteDeadline(t)
}

// fireReadDeadline sets a read deadline in the past on the connection if
// its recorded one is not after now: a pending read ends with a timeout,
// as with the deadline set on the connection.
func (c *frontConn) fireReadDeadline(now int64) {
	by := c.readBy.Load()
	if by == 0 || by > now {
		return
	}
	c.mu.Lock()
	if c.readBy.CompareAndSwap(by, 0) {
		c.exact.Store(true)
		_ = c.Conn.SetReadDeadline(time.Unix(0, now))
	}
	c.mu.Unlock()
}

// Close closes the connection and frees its slot.
func (c *frontConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		<-c.l.slots
	})
	return err
}
