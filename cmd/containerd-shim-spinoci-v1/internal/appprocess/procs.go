package appprocess

import (
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/spinoci/spinoci/shim/appproto"
)

// An app process started by the shim loads and serves on one P (one of the
// Go scheduler's processors) until it has two connections open at once, and
// then moves to Go's default (the container's CPU limit). Each P allocates
// from spans of its own, one per size class it has used, and keeps them, and
// more Ps start more threads: an idle hello app that loaded and answered its
// readiness checks on one P holds ~0.3 MB less anonymous memory than on two.
// Serving one connection at a time needs no second P; under concurrent load
// the app gets all of them at once. The one P must be set in the environment
// the process starts with: a runtime started with two that drops to one
// keeps what the second took (measured: no saving).

// procScaler raises the app process's Ps to Go's default once, when
// concurrency appears. A nil *procScaler does nothing.
type procScaler struct {
	raiseProcs func() // runtime.SetDefaultGOMAXPROCS; tests count calls
	once       sync.Once
	raised     atomic.Bool
}

// startedOnOneProc returns the scaler of an app process the shim started on
// one P (appproto.AppArgs.OneProc), after taking the shim's GOMAXPROCS out
// of the environment, which is the container's again (the app reads its
// variables and limits there); nil for any other.
func startedOnOneProc(oneProc bool) *procScaler {
	if !oneProc {
		return nil
	}
	os.Unsetenv(appproto.ProcsEnv)
	return &procScaler{raiseProcs: runtime.SetDefaultGOMAXPROCS}
}

// scaleUp moves the app process to Go's default Ps, once.
func (p *procScaler) scaleUp() {
	if p == nil {
		return
	}
	p.once.Do(func() {
		p.raiseProcs()
		p.raised.Store(true)
	})
}

// listener returns ln, counting the connections it accepts until two are
// open at once, when it calls scaleUp.
func (p *procScaler) listener(ln net.Listener) net.Listener {
	if p == nil {
		return ln
	}
	return &concurrencyListener{Listener: ln, scaler: p}
}

// concurrencyListener counts its open connections until its scaler has
// scaled up; connections accepted after that are not wrapped.
type concurrencyListener struct {
	net.Listener
	scaler *procScaler
	open   atomic.Int64
}

func (l *concurrencyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || l.scaler.raised.Load() {
		return c, err
	}
	if l.open.Add(1) >= 2 {
		l.scaler.scaleUp()
	}
	return &countedConn{Conn: c, open: &l.open}, nil
}

// countedConn takes itself off its listener's count when closed.
type countedConn struct {
	net.Conn
	open   *atomic.Int64
	closed atomic.Bool
}

func (c *countedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.open.Add(-1)
	}
	return c.Conn.Close()
}
