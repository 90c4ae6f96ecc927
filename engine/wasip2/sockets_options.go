package wasip2

import (
	"net"
	"time"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// socketOptions defines the tcp-socket option getters and setters. Values
// are kept on the socket and applied to its connection (keep-alive and
// buffer sizes; the hop limit is only reported).
func socketOptions(i *iface) {
	get := func(v func(o *tcpOptions) capi.Val) fn {
		return socketMethod(func(_ *State, s *tcpSocket) (results, error) {
			return one(capi.Ok(v(&s.opts)))
		})
	}
	i.funcs["[method]tcp-socket.keep-alive-enabled"] = get(func(o *tcpOptions) capi.Val { return capi.Bool(o.keepAlive) })
	i.funcs["[method]tcp-socket.keep-alive-idle-time"] = get(func(o *tcpOptions) capi.Val { return capi.U64(o.keepIdle) })
	i.funcs["[method]tcp-socket.keep-alive-interval"] = get(func(o *tcpOptions) capi.Val { return capi.U64(o.keepInterval) })
	i.funcs["[method]tcp-socket.keep-alive-count"] = get(func(o *tcpOptions) capi.Val { return capi.U32(o.keepCount) })
	i.funcs["[method]tcp-socket.hop-limit"] = get(func(o *tcpOptions) capi.Val { return capi.U8(o.hopLimit) })
	i.funcs["[method]tcp-socket.receive-buffer-size"] = get(func(o *tcpOptions) capi.Val { return capi.U64(o.receiveBuffer) })
	i.funcs["[method]tcp-socket.send-buffer-size"] = get(func(o *tcpOptions) capi.Val { return capi.U64(o.sendBuffer) })

	// set stores a valid value and applies the options when connected.
	set := func(s *tcpSocket, valid bool, store func(o *tcpOptions)) (results, error) {
		if !valid {
			return sockErr("invalid-argument")
		}
		store(&s.opts)
		s.applyOptions()
		return one(capi.Ok(nil))
	}
	i.funcs["[method]tcp-socket.set-keep-alive-enabled"] = fn2(borrowed[*tcpSocket], argBool, func(_ *State, s *tcpSocket, on bool) (results, error) {
		return set(s, true, func(o *tcpOptions) { o.keepAlive = on })
	})
	duration := func(store func(o *tcpOptions, d time.Duration)) fn {
		return fn2(borrowed[*tcpSocket], argU64, func(_ *State, s *tcpSocket, ns uint64) (results, error) {
			return set(s, ns > 0 && ns <= uint64(1<<62), func(o *tcpOptions) { store(o, time.Duration(ns)) })
		})
	}
	i.funcs["[method]tcp-socket.set-keep-alive-idle-time"] = duration(func(o *tcpOptions, d time.Duration) { o.keepIdle = d })
	i.funcs["[method]tcp-socket.set-keep-alive-interval"] = duration(func(o *tcpOptions, d time.Duration) { o.keepInterval = d })
	i.funcs["[method]tcp-socket.set-keep-alive-count"] = fn2(borrowed[*tcpSocket], argU32, func(_ *State, s *tcpSocket, n uint32) (results, error) {
		return set(s, n > 0, func(o *tcpOptions) { o.keepCount = n })
	})
	i.funcs["[method]tcp-socket.set-hop-limit"] = fn2(borrowed[*tcpSocket], argU8, func(_ *State, s *tcpSocket, n uint8) (results, error) {
		return set(s, n > 0, func(o *tcpOptions) { o.hopLimit = n })
	})
	buffer := func(store func(o *tcpOptions, n uint64)) fn {
		return fn2(borrowed[*tcpSocket], argU64, func(_ *State, s *tcpSocket, n uint64) (results, error) {
			return set(s, n > 0, func(o *tcpOptions) { store(o, min(n, 1<<24)) })
		})
	}
	i.funcs["[method]tcp-socket.set-receive-buffer-size"] = buffer(func(o *tcpOptions, n uint64) { o.receiveBuffer, o.receiveBufferSet = n, true })
	i.funcs["[method]tcp-socket.set-send-buffer-size"] = buffer(func(o *tcpOptions, n uint64) { o.sendBuffer, o.sendBufSet = n, true })
}

// applyOptions sets the options on the connection, if there is one.
// Failures are ignored: the options are hints.
func (s *tcpSocket) applyOptions() {
	if s.state != tcpConnected {
		return
	}
	o := s.opts
	_ = s.conn.SetKeepAliveConfig(net.KeepAliveConfig{
		Enable: o.keepAlive, Idle: o.keepIdle, Interval: o.keepInterval, Count: int(o.keepCount),
	})
	if o.receiveBufferSet {
		_ = s.conn.SetReadBuffer(int(o.receiveBuffer))
	}
	if o.sendBufSet {
		_ = s.conn.SetWriteBuffer(int(o.sendBuffer))
	}
}
