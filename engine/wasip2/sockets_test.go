package wasip2

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/spinoci/spinoci/engine/capability/network/networktest"
	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/test/servers"
)

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// Codes of testdata/sockets.wat: 1000+error-code of create-tcp-socket or
// resolve-addresses, 2000+ of start-connect, 3000+ of finish-connect.
const (
	codeAccessDenied      = 1
	codeConnectionRefused = 14
	codeResolverFailure   = 20
)

func TestSocketsConnect(t *testing.T) {
	echo, refused, other := servers.Echo(t), closedPort(t), servers.Echo(t)
	policy := networktest.AllowList(t, fmt.Sprintf("tcp://127.0.0.1:%d", echo), fmt.Sprintf("*://127.0.0.1:%d", refused))
	for _, tc := range []struct {
		name   string
		policy SocketPolicy
		port   int
		want   uint32
	}{
		{"allowed", policy, echo, 0},
		{"port not allowed", policy, other, 2000 + codeAccessDenied},
		{"connection refused", policy, refused, 3000 + codeConnectionRefused},
		{"no outbound hosts", networktest.AllowList(t), echo, 2000 + codeAccessDenied},
		{"no socket policy", nil, echo, 1000 + codeAccessDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "sockets", Config{Sockets: tc.policy})
			out, _, err := f.call(t, "connect", 1, capi.U8(127), capi.U8(0), capi.U8(0), capi.U8(1), capi.U16(tc.port))
			if err != nil {
				t.Fatal(err)
			}
			if got := uint32(out[0].(capi.U32)); got != tc.want {
				t.Errorf("connect to 127.0.0.1:%d = %d, want %d", tc.port, got, tc.want)
			}
		})
	}
}

func TestSocketsNameLookup(t *testing.T) {
	echo := servers.Echo(t)
	f := newFixture(t, "sockets", Config{Sockets: networktest.AllowList(t, fmt.Sprintf("tcp://localhost:%d", echo))})
	out, _, err := f.call(t, "lookup", 1, capi.String("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	if n := uint32(out[0].(capi.U32)); n == 0 || n >= 1000 {
		t.Errorf("lookup localhost = %d, want a number of addresses", n)
	}
	// The address localhost resolved to is allowed through the name.
	out, _, err = f.call(t, "lookup-connect", 1, capi.String("localhost"), capi.U16(echo))
	if err != nil {
		t.Fatal(err)
	}
	if got := uint32(out[0].(capi.U32)); got != 0 {
		t.Errorf("lookup-connect localhost:%d = %d, want 0", echo, got)
	}
	// Without the lookup, 127.0.0.1 itself is not in the list.
	out, _, err = f.call(t, "connect", 1, capi.U8(127), capi.U8(0), capi.U8(0), capi.U8(1), capi.U16(echo))
	if err != nil {
		t.Fatal(err)
	}
	if got := uint32(out[0].(capi.U32)); got != 2000+codeAccessDenied {
		t.Errorf("connect 127.0.0.1:%d without lookup = %d, want %d", echo, got, 2000+codeAccessDenied)
	}
	for name, want := range map[string]uint32{
		"not-listed.test": 1000 + codeResolverFailure, // never sent to a resolver
		"127.0.0.1":       1,                          // an address literal needs no lookup
	} {
		out, _, err := f.call(t, "lookup", 1, capi.String(name))
		if err != nil {
			t.Fatal(err)
		}
		if got := uint32(out[0].(capi.U32)); got != want {
			t.Errorf("lookup %s = %d, want %d", name, got, want)
		}
	}
}

func TestSocketsLimit(t *testing.T) {
	h := NewHost(Config{Sockets: networktest.AllowList(t, "tcp://127.0.0.1:1")})
	st := h.NewState(context.Background())
	defer st.closeAll()
	create := tcpCreateSocket().funcs["create-tcp-socket"]
	var last capi.Result
	for range maxTCPSockets + 1 {
		out, err := create(st, []capi.Val{capi.Enum("ipv4")})
		if err != nil {
			t.Fatal(err)
		}
		last = out[0].(capi.Result)
	}
	if last.Ok || last.Val != capi.Enum("new-socket-limit") {
		t.Errorf("socket %d: %v, want new-socket-limit", maxTCPSockets+1, last)
	}
}

// The WASI release candidates' sockets stay denied: their creation and
// lookup functions answer access-denied, whatever the allow-list.
func TestSocketsReleaseCandidatesDenied(t *testing.T) {
	h := NewHost(Config{Sockets: networktest.AllowList(t, "insecure:allow-all")})
	base := map[string]*iface{}
	for _, i := range h.interfaces() {
		base[i.name] = i
	}
	st := h.NewState(context.Background())
	defer st.closeAll()
	checked := 0
	for _, i := range rcInterfaces(base) {
		for _, f := range []string{"create-tcp-socket", "create-udp-socket", "resolve-addresses"} {
			call := i.funcs[f]
			if call == nil {
				continue
			}
			checked++
			out, err := call(st, nil)
			if err != nil || len(out) != 1 || out[0] != capi.Result(capi.Err(capi.Enum("access-denied"))) {
				t.Errorf("%s#%s = %v, %v; want access-denied", i.name, f, out, err)
			}
		}
		if len(i.funcs) > 1 && i.name[:13] == "wasi:sockets/" {
			t.Errorf("%s defines %d functions, want only its denial", i.name, len(i.funcs))
		}
	}
	if checked != 6 {
		t.Errorf("checked %d release-candidate functions, want 6", checked)
	}
}
