package wasip2

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// tcpState is where a tcp-socket is in its life.
type tcpState int

const (
	tcpUnbound tcpState = iota
	tcpConnecting
	tcpConnected
	tcpClosed // a failed connect: the socket cannot be used again
)

// tcpSocket is a wasi:sockets/tcp.tcp-socket: only outgoing connections
// (binding and listening are denied, as in Spin).
type tcpSocket struct {
	family string // "ipv4" or "ipv6"
	state  tcpState
	// While connecting, dial is closed once the dial ended with conn or
	// dialErr; cancel stops it.
	dial    chan struct{}
	cancel  context.CancelFunc
	conn    *net.TCPConn
	dialErr error
	// stopClose undoes the close of conn when the request ends; stop ends
	// the background reader.
	stopClose func() bool
	stop      chan struct{}
	opts      tcpOptions
}

// tcpOptions are the socket options the guest set, applied once connected.
type tcpOptions struct {
	keepAlive                 bool
	keepIdle, keepInterval    time.Duration
	keepCount                 uint32
	hopLimit                  uint8
	receiveBuffer, sendBuffer uint64
	// Buffer sizes are applied only when the guest set them.
	receiveBufferSet, sendBufSet bool
}

func (s *tcpSocket) close() {
	switch s.state {
	case tcpConnecting:
		s.cancel()
		dial := s.dial
		go func() {
			<-dial
			if s.conn != nil {
				s.conn.Close()
			}
		}()
	case tcpConnected:
		s.stopClose()
		close(s.stop)
		s.conn.Close()
	}
	s.state = tcpClosed
}

func tcpCreateSocket() *iface {
	i := newIface("wasi:sockets/tcp-create-socket" + wasiVersion)
	i.funcs["create-tcp-socket"] = fn1(argEnum, func(st *State, family string) (results, error) {
		if family != "ipv4" && family != "ipv6" {
			return sockErr("not-supported")
		}
		if st.host.cfg.Sockets == nil {
			return sockErr("access-denied")
		}
		if st.sockets.tcpOpen >= maxTCPSockets {
			return sockErr("new-socket-limit")
		}
		st.sockets.tcpOpen++
		s := &tcpSocket{family: family, opts: tcpOptions{
			keepIdle: 2 * time.Hour, keepInterval: 75 * time.Second, keepCount: 9, hopLimit: 64,
			receiveBuffer: 128 << 10, sendBuffer: 16 << 10,
		}}
		return one(capi.Ok(st.own(tyTCPSocket, s)))
	})
	return i
}

// socketMethod is a tcp-socket method of no other parameter.
func socketMethod(body func(st *State, s *tcpSocket) (results, error)) fn {
	return fn1(borrowed[*tcpSocket], body)
}

func tcpSockets() *iface {
	i := newIface("wasi:sockets/tcp" + wasiVersion)
	i.types["tcp-socket"] = tyTCPSocket
	i.drops["tcp-socket"] = func(st *State, _ uint32) { st.sockets.tcpOpen-- }
	// Spin lets no component bind or listen.
	i.funcs["[method]tcp-socket.start-bind"] = fn3(borrowed[*tcpSocket], borrowed[*networkHandle], argSocketAddress,
		func(*State, *tcpSocket, *networkHandle, netip.AddrPort) (results, error) {
			return sockErr("access-denied")
		})
	i.funcs["[method]tcp-socket.finish-bind"] = socketMethod(func(*State, *tcpSocket) (results, error) { return sockErr("not-in-progress") })
	i.funcs["[method]tcp-socket.start-listen"] = socketMethod(func(*State, *tcpSocket) (results, error) { return sockErr("invalid-state") })
	i.funcs["[method]tcp-socket.finish-listen"] = socketMethod(func(*State, *tcpSocket) (results, error) { return sockErr("not-in-progress") })
	i.funcs["[method]tcp-socket.accept"] = socketMethod(func(*State, *tcpSocket) (results, error) { return sockErr("invalid-state") })
	i.funcs["[method]tcp-socket.is-listening"] = socketMethod(func(*State, *tcpSocket) (results, error) { return one(capi.Bool(false)) })
	i.funcs["[method]tcp-socket.set-listen-backlog-size"] = fn2(borrowed[*tcpSocket], argU64, func(*State, *tcpSocket, uint64) (results, error) {
		return sockErr("invalid-state")
	})
	i.funcs["[method]tcp-socket.address-family"] = socketMethod(func(_ *State, s *tcpSocket) (results, error) {
		return one(capi.Enum(s.family))
	})
	i.funcs["[method]tcp-socket.start-connect"] = fn3(borrowed[*tcpSocket], borrowed[*networkHandle], argSocketAddress, startConnect)
	i.funcs["[method]tcp-socket.finish-connect"] = socketMethod(finishConnect)
	i.funcs["[method]tcp-socket.subscribe"] = socketMethod(func(st *State, s *tcpSocket) (results, error) {
		if s.state == tcpConnecting {
			return one(st.own(tyPollable, &pollable{ready: s.dial}))
		}
		return one(st.own(tyPollable, &pollable{}))
	})
	address := func(remote bool) fn {
		return socketMethod(func(_ *State, s *tcpSocket) (results, error) {
			if s.state != tcpConnected {
				return sockErr("invalid-state")
			}
			a := s.conn.LocalAddr()
			if remote {
				a = s.conn.RemoteAddr()
			}
			return one(capi.Ok(socketAddressVal(a.(*net.TCPAddr).AddrPort())))
		})
	}
	i.funcs["[method]tcp-socket.local-address"] = address(false)
	i.funcs["[method]tcp-socket.remote-address"] = address(true)
	i.funcs["[method]tcp-socket.shutdown"] = fn2(borrowed[*tcpSocket], argEnum, func(_ *State, s *tcpSocket, how string) (results, error) {
		if s.state != tcpConnected {
			return sockErr("invalid-state")
		}
		var err error
		if how == "receive" || how == "both" {
			err = s.conn.CloseRead()
		}
		if how == "send" || how == "both" {
			err = errors.Join(err, s.conn.CloseWrite())
		}
		if err != nil {
			return sockErr(socketErrorCode(err))
		}
		return one(capi.Ok(nil))
	})
	socketOptions(i)
	return i
}

func startConnect(st *State, s *tcpSocket, _ *networkHandle, addr netip.AddrPort) (results, error) {
	switch s.state {
	case tcpConnecting:
		return sockErr("concurrency-conflict")
	case tcpConnected, tcpClosed:
		return sockErr("invalid-state")
	}
	a := addr.Addr()
	if (s.family == "ipv4") != a.Is4() || a.Is4In6() || a.IsUnspecified() || a.IsMulticast() ||
		addr.Port() == 0 || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return sockErr("invalid-argument")
	}
	if !st.allowedConnect(addr) {
		return sockErr("access-denied")
	}
	ctx, cancel := context.WithCancel(st.ctx)
	s.state, s.dial, s.cancel = tcpConnecting, make(chan struct{}), cancel
	go func() {
		defer close(s.dial)
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr.String())
		if err != nil {
			s.dialErr = err
			return
		}
		s.conn = c.(*net.TCPConn)
	}()
	return one(capi.Ok(nil))
}

func finishConnect(st *State, s *tcpSocket) (results, error) {
	if s.state != tcpConnecting {
		return sockErr("not-in-progress")
	}
	select {
	case <-s.dial:
	default:
		return sockErr("would-block")
	}
	s.cancel()
	if s.dialErr != nil {
		s.state = tcpClosed
		return sockErr(socketErrorCode(s.dialErr))
	}
	s.state = tcpConnected
	conn := s.conn
	// The request's end closes the connection, which ends any read or
	// write the guest is blocked in.
	s.stopClose = context.AfterFunc(st.ctx, func() { conn.Close() })
	s.applyOptions()
	s.stop = make(chan struct{})
	in := st.own(tyInputStream, &inputStream{r: newSocketReader(conn, s.stop)})
	out := st.own(tyOutputStream, &outputStream{w: conn})
	return one(capi.Ok(capi.Tuple{in, out}))
}

// socketErrorCode maps a connection error to a wasi:sockets error-code.
func socketErrorCode(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection-refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection-reset"
	case errors.Is(err, syscall.ECONNABORTED):
		return "connection-aborted"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "remote-unreachable"
	case errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, syscall.ENOTCONN):
		return "invalid-state"
	}
	return "unknown"
}

// socketReader reads a connection in the background, one chunk at a time,
// so that the guest's reads never block and its pollables wait for data.
type socketReader struct {
	mu      sync.Mutex
	pending []byte
	err     error
	// avail is closed while pending or err is set.
	avail chan struct{}
	// more asks the background reader for the next chunk.
	more chan struct{}
}

func newSocketReader(c net.Conn, stop <-chan struct{}) *socketReader {
	r := &socketReader{avail: make(chan struct{}), more: make(chan struct{}, 1)}
	go r.run(c, stop)
	return r
}

func (r *socketReader) run(c net.Conn, stop <-chan struct{}) {
	for {
		buf := make([]byte, maxRead)
		n, err := c.Read(buf)
		if n == 0 && err == nil {
			continue
		}
		r.mu.Lock()
		r.pending, r.err = buf[:n], err
		close(r.avail)
		r.mu.Unlock()
		if err != nil {
			return
		}
		select {
		case <-r.more:
		case <-stop:
			return
		}
	}
}

// Read returns buffered bytes, the connection's error once they are
// consumed, or 0, nil when nothing has arrived yet.
func (r *socketReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) > 0 {
		n := copy(p, r.pending)
		r.pending = r.pending[n:]
		if len(r.pending) == 0 && r.err == nil {
			r.avail = make(chan struct{})
			r.more <- struct{}{}
		}
		return n, nil
	}
	if r.err != nil {
		if errors.Is(r.err, net.ErrClosed) {
			return 0, io.EOF
		}
		return 0, r.err
	}
	return 0, nil
}

// subscribe is ready when Read has something to return.
func (r *socketReader) subscribe() *pollable {
	r.mu.Lock()
	defer r.mu.Unlock()
	return &pollable{ready: r.avail}
}
