package wasip2

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// SocketPolicy decides which wasi:sockets destinations a component may
// reach (the outbound networking capability: *network.AllowedHosts).
type SocketPolicy interface {
	// AllowedEndpoint reports whether a connection of scheme ("tcp") to
	// host:port is allowed.
	AllowedEndpoint(scheme, host string, port int) bool
	// AllowsHostLookup reports whether the host name may be resolved for
	// connections of scheme.
	AllowsHostLookup(scheme, name string) bool
}

// maxTCPSockets bounds the TCP sockets one instance holds at once.
const maxTCPSockets = 32

// socketState is a Store's wasi:sockets bookkeeping.
type socketState struct {
	// tcpOpen counts the TCP sockets not yet dropped.
	tcpOpen int
	// resolved maps the addresses name lookups returned to the names
	// looked up, so that a connection to them is checked against the
	// names too.
	resolved map[netip.Addr][]string
}

// allowedConnect reports whether the guest may connect to addr: the
// address itself or a name it was resolved from is allowed on its port.
func (st *State) allowedConnect(addr netip.AddrPort) bool {
	p := st.host.cfg.Sockets
	if p == nil {
		return false
	}
	port := int(addr.Port())
	if p.AllowedEndpoint("tcp", addr.Addr().Unmap().String(), port) {
		return true
	}
	for _, name := range st.sockets.resolved[addr.Addr().Unmap()] {
		if p.AllowedEndpoint("tcp", name, port) {
			return true
		}
	}
	return false
}

// sockErr is a wasi:sockets/network.error-code result.
func sockErr(code string) (results, error) { return one(capi.Err(capi.Enum(code))) }

// networkHandle is the wasi:sockets/network resource: the one network
// every instance gets.
type networkHandle struct{}

func socketsNetwork() []*iface {
	network := newIface("wasi:sockets/network" + wasiVersion)
	network.types["network"] = tyNetwork
	instance := newIface("wasi:sockets/instance-network" + wasiVersion)
	instance.funcs["instance-network"] = fn0(func(st *State) (results, error) {
		return one(st.own(tyNetwork, &networkHandle{}))
	})
	udp := newIface("wasi:sockets/udp-create-socket" + wasiVersion)
	udp.funcs["create-udp-socket"] = ignoreArgs(func(*State) (results, error) {
		return sockErr("access-denied")
	})
	return []*iface{network, instance, udp, ipNameLookup(), tcpCreateSocket(), tcpSockets()}
}

// resolveStream is a wasi:sockets/ip-name-lookup.resolve-address-stream:
// the lookup runs in the background; done is closed when it ended.
type resolveStream struct {
	done   chan struct{}
	cancel context.CancelFunc // stops the lookup when the stream is dropped
	addrs  []netip.Addr
	code   string // error-code of a failed lookup
	name   string // the name looked up, "" for an address literal
	next   int
}

func ipNameLookup() *iface {
	i := newIface("wasi:sockets/ip-name-lookup" + wasiVersion)
	i.types["resolve-address-stream"] = tyResolveAddressStream
	i.funcs["resolve-addresses"] = fn2(borrowed[*networkHandle], argString, func(st *State, _ *networkHandle, name string) (results, error) {
		host := strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
		if a, err := netip.ParseAddr(host); err == nil {
			done := make(chan struct{})
			close(done)
			return one(capi.Ok(st.own(tyResolveAddressStream, &resolveStream{done: done, addrs: []netip.Addr{a.Unmap()}})))
		}
		if name == "" || len(name) > 253 || strings.ContainsAny(name, " /:@[]%") {
			return sockErr("invalid-argument")
		}
		// Spin resolves no names (its lookups answer
		// permanent-resolver-failure); names the allow-list may connect
		// to are resolved here so that tcp://name:port entries work.
		if p := st.host.cfg.Sockets; p == nil || !p.AllowsHostLookup("tcp", name) {
			return sockErr("permanent-resolver-failure")
		}
		ctx, cancel := context.WithCancel(st.ctx)
		s := &resolveStream{done: make(chan struct{}), cancel: cancel, name: strings.ToLower(strings.TrimSuffix(name, "."))}
		go s.lookup(ctx)
		return one(capi.Ok(st.own(tyResolveAddressStream, s)))
	})
	i.funcs["[method]resolve-address-stream.resolve-next-address"] = fn1(borrowed[*resolveStream], func(st *State, s *resolveStream) (results, error) {
		select {
		case <-s.done:
		default:
			return sockErr("would-block")
		}
		if s.code != "" {
			return sockErr(s.code)
		}
		if s.next >= len(s.addrs) {
			return one(capi.Ok(capi.None))
		}
		a := s.addrs[s.next]
		s.next++
		if s.name != "" {
			if st.sockets.resolved == nil {
				st.sockets.resolved = map[netip.Addr][]string{}
			}
			st.sockets.resolved[a] = append(st.sockets.resolved[a], s.name)
		}
		return one(capi.Ok(capi.Some(ipAddressVal(a))))
	})
	i.funcs["[method]resolve-address-stream.subscribe"] = fn1(borrowed[*resolveStream], func(st *State, s *resolveStream) (results, error) {
		return one(st.own(tyPollable, &pollable{ready: s.done}))
	})
	return i
}

func (s *resolveStream) close() {
	if s.cancel != nil {
		s.cancel()
	}
}

func (s *resolveStream) lookup(ctx context.Context) {
	defer close(s.done)
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", s.name)
	var dnsErr *net.DNSError
	switch {
	case err == nil:
		for _, a := range addrs {
			s.addrs = append(s.addrs, a.Unmap())
		}
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		s.code = "name-unresolvable"
	case errors.As(err, &dnsErr) && (dnsErr.IsTemporary || dnsErr.IsTimeout):
		s.code = "temporary-resolver-failure"
	default:
		s.code = "permanent-resolver-failure"
	}
}

// ipAddressVal is a wasi:sockets/network.ip-address.
func ipAddressVal(a netip.Addr) capi.Val {
	if a.Is4() {
		b := a.As4()
		return capi.Variant{Case: "ipv4", Val: capi.Tuple{capi.U8(b[0]), capi.U8(b[1]), capi.U8(b[2]), capi.U8(b[3])}}
	}
	b := a.As16()
	t := make(capi.Tuple, 8)
	for n := range t {
		t[n] = capi.U16(uint16(b[2*n])<<8 | uint16(b[2*n+1]))
	}
	return capi.Variant{Case: "ipv6", Val: t}
}

// socketAddressVal is a wasi:sockets/network.ip-socket-address.
func socketAddressVal(ap netip.AddrPort) capi.Val {
	a := ap.Addr()
	if a.Is4() || a.Is4In6() {
		return capi.Variant{Case: "ipv4", Val: capi.Record{
			{Name: "port", Val: capi.U16(ap.Port())},
			{Name: "address", Val: ipAddressVal(a.Unmap()).(capi.Variant).Val},
		}}
	}
	return capi.Variant{Case: "ipv6", Val: capi.Record{
		{Name: "port", Val: capi.U16(ap.Port())},
		{Name: "flow-info", Val: capi.U32(0)},
		{Name: "address", Val: ipAddressVal(a).(capi.Variant).Val},
		{Name: "scope-id", Val: capi.U32(0)},
	}}
}

// argSocketAddress reads a wasi:sockets/network.ip-socket-address.
func argSocketAddress(_ *State, v capi.Val) (netip.AddrPort, error) {
	c, ok := v.(capi.Variant)
	rec, isRec := c.Val.(capi.Record)
	if !ok || !isRec {
		return netip.AddrPort{}, mismatch("ip-socket-address", v)
	}
	var port uint16
	var addr capi.Tuple
	for _, f := range rec {
		switch f.Name {
		case "port":
			p, ok := f.Val.(capi.U16)
			if !ok {
				return netip.AddrPort{}, fmt.Errorf("ip-socket-address port: %w", mismatch("u16", f.Val))
			}
			port = uint16(p)
		case "address":
			addr, _ = f.Val.(capi.Tuple)
		}
	}
	switch {
	case c.Case == "ipv4" && len(addr) == 4:
		var b [4]byte
		for n, x := range addr {
			u, ok := x.(capi.U8)
			if !ok {
				return netip.AddrPort{}, mismatch("ipv4-address", addr)
			}
			b[n] = byte(u)
		}
		return netip.AddrPortFrom(netip.AddrFrom4(b), port), nil
	case c.Case == "ipv6" && len(addr) == 8:
		var b [16]byte
		for n, x := range addr {
			u, ok := x.(capi.U16)
			if !ok {
				return netip.AddrPort{}, mismatch("ipv6-address", addr)
			}
			b[2*n], b[2*n+1] = byte(u>>8), byte(u)
		}
		return netip.AddrPortFrom(netip.AddrFrom16(b), port), nil
	}
	return netip.AddrPort{}, mismatch("ip-socket-address", v)
}

var (
	argEnum = scalar("enum", func(e capi.Enum) string { return string(e) })
	argBool = scalar("bool", func(b capi.Bool) bool { return bool(b) })
	argU8   = scalar("u8", func(n capi.U8) uint8 { return uint8(n) })
)

// socketsDeniedRC makes a release candidate's wasi:sockets interface
// deny: creating a socket or looking a name up answers access-denied (what
// Spin without allowed sockets answers), and the other functions, whose
// shapes differ from 0.2's and which no socket can reach, trap naming
// themselves.
func socketsDeniedRC(i *iface, base string) {
	denied := ignoreArgs(func(*State) (results, error) { return sockErr("access-denied") })
	keep := i.funcs["instance-network"]
	clear(i.funcs)
	switch base {
	case "wasi:sockets/instance-network":
		i.funcs["instance-network"] = keep
	case "wasi:sockets/tcp-create-socket":
		i.funcs["create-tcp-socket"] = denied
	case "wasi:sockets/udp-create-socket":
		i.funcs["create-udp-socket"] = denied
	case "wasi:sockets/ip-name-lookup":
		i.funcs["resolve-addresses"] = denied
	}
}
