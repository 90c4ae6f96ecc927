package sandbox

import (
	"encoding/binary"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
)

// TestCaps: the sets are the spec's for every user (as runc applies them
// before it executes the container's program), within the kernel's rules.
func TestCaps(t *testing.T) {
	const chown, kill, netBind = 1 << 0, 1 << 5, 1 << 10
	spec := &specs.LinuxCapabilities{
		Bounding: []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"}, Effective: []string{"CAP_CHOWN", "CAP_NET_RAW"},
		Permitted: []string{"CAP_CHOWN", "CAP_NET_BIND_SERVICE"}, Inheritable: []string{"CAP_NET_BIND_SERVICE"},
		Ambient: []string{"CAP_NET_BIND_SERVICE", "CAP_KILL"},
	}
	for _, uid := range []uint32{0, 1000} {
		c, err := capsFor(spec, uid)
		if err != nil {
			t.Fatal(err)
		}
		// NET_RAW is effective but not permitted, KILL ambient but neither
		// permitted nor inheritable: the kernel would refuse both.
		want := Caps{Bounding: chown | kill | netBind, Effective: chown, Permitted: chown | netBind,
			Inheritable: netBind, Ambient: netBind, LastCap: c.LastCap}
		if c != want {
			t.Errorf("user %d: %+v, want %+v", uid, c, want)
		}
	}
	for uid, wantEffective := range map[uint32]bool{0: true, 1000: false} {
		none, err := capsFor(nil, uid)
		if err != nil {
			t.Fatal(err)
		}
		all := uint64(1)<<(none.LastCap+1) - 1
		if none.Bounding != all || (none.Effective == all) != wantEffective || none.Permitted != none.Effective {
			t.Errorf("no capabilities section, user %d: %+v, want a whole bounding set and every capability only for root", uid, none)
		}
	}
	if _, err := capsFor(&specs.LinuxCapabilities{Bounding: []string{"CAP_NOPE"}}, 0); err == nil || !strings.Contains(err.Error(), `unknown capability "CAP_NOPE"`) {
		t.Errorf("unknown capability: %v", err)
	}
}

func TestEncode(t *testing.T) {
	c := Config{Root: "/r", Mounts: []Mount{{Kind: Bind, Source: "/a", Dest: "/a"}}, Seccomp: make([]bpf.RawInstruction, 3)}
	b, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if binary.NativeEndian.Uint32(b) != recordMagic || binary.NativeEndian.Uint32(b[4:])&flagMountNS == 0 {
		t.Errorf("record starts %x, want the magic and the mount-namespace flag", b[:8])
	}
	if !strings.HasSuffix(string(b), string(make([]byte, 3*8))) {
		t.Errorf("record does not end with the 3 filter instructions")
	}
	if _, err := (Config{Mounts: c.Mounts}).Encode(); err == nil {
		t.Errorf("mounts without a root: no error")
	}
}
