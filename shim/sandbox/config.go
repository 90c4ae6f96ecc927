package sandbox

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"golang.org/x/net/bpf"
)

// MountKind says how a Mount is made.
type MountKind uint32

// Keep in step with SB_MOUNT_* in shim/nsenter/sandbox.c.
const (
	// Bind bind-mounts Source (a directory or file) at Dest, nosuid and
	// nodev.
	Bind MountKind = 0
	// Tmpfs mounts an empty tmpfs at Dest (mode 1777).
	Tmpfs MountKind = 1
	// Device bind-mounts a device node (nosuid, device access kept).
	Device MountKind = 2
)

// Mount is one mount in the process's new root. Dest is the path inside
// it; mounts are made in order.
type Mount struct {
	Kind     MountKind
	ReadOnly bool
	Source   string
	Dest     string
}

// User is the identity the process takes.
type User struct {
	UID, GID uint32
	Groups   []uint32 // additional groups; the host's are dropped
}

// Caps are the process's capability sets, as bit masks (bit n is
// capability n), as they will be once it runs.
type Caps struct {
	Bounding, Effective, Permitted, Inheritable, Ambient uint64
	// LastCap is the highest capability the kernel knows.
	LastCap uint32
}

// Rlimit is one resource limit (a RLIMIT_* number).
type Rlimit struct {
	Resource   uint32
	Soft, Hard uint64
}

// Config is everything the child applies to itself, in this order:
// rlimits, hostname, the new root (Root non-empty: a private mount
// namespace, a tmpfs at Root on the host holding Mounts, pivot_root into
// it), the working directory, the seccomp filter if NoNewPrivs is false,
// the user, the capabilities, no_new_privs, and otherwise the seccomp filter.
type Config struct {
	NoNewPrivs bool
	User       User
	Caps       Caps
	Rlimits    []Rlimit
	Hostname   string
	Root       string
	Mounts     []Mount
	Workdir    string
	// Seccomp is the filter program; empty means none.
	Seccomp []bpf.RawInstruction
}

// Keep in step with shim/nsenter/sandbox.c.
const (
	recordMagic    = 0x53505342
	flagNoNewPrivs = 1
	flagSetUser    = 2
	flagSetCaps    = 4
	flagMountNS    = 8
)

// Encode returns the record package nsenter reads (host byte order: it is
// read by the same machine).
func (c Config) Encode() ([]byte, error) {
	var b bytes.Buffer
	put32 := func(v uint32) { _ = binary.Write(&b, binary.NativeEndian, v) }
	put64 := func(v uint64) { _ = binary.Write(&b, binary.NativeEndian, v) }
	putStr := func(s string) { put32(uint32(len(s))); b.WriteString(s) }

	flags := uint32(flagSetUser | flagSetCaps)
	if c.NoNewPrivs {
		flags |= flagNoNewPrivs
	}
	if c.Root != "" {
		flags |= flagMountNS
	} else if len(c.Mounts) > 0 {
		return nil, fmt.Errorf("sandbox: mounts need a root")
	}
	if len(c.Seccomp) > 0xffff {
		return nil, fmt.Errorf("sandbox: seccomp filter of %d instructions is too long", len(c.Seccomp))
	}
	put32(recordMagic)
	put32(flags)
	put32(c.User.UID)
	put32(c.User.GID)
	put32(uint32(len(c.User.Groups)))
	for _, g := range c.User.Groups {
		put32(g)
	}
	for _, set := range []uint64{c.Caps.Bounding, c.Caps.Effective, c.Caps.Permitted, c.Caps.Inheritable, c.Caps.Ambient} {
		put64(set)
	}
	put32(c.Caps.LastCap)
	put32(uint32(len(c.Rlimits)))
	for _, r := range c.Rlimits {
		put32(r.Resource)
		put64(r.Soft)
		put64(r.Hard)
	}
	putStr(c.Hostname)
	putStr(c.Root)
	putStr(c.Workdir)
	put32(uint32(len(c.Mounts)))
	for _, m := range c.Mounts {
		put32(uint32(m.Kind))
		ro := uint32(0)
		if m.ReadOnly {
			ro = 1
		}
		put32(ro)
		putStr(m.Source)
		putStr(m.Dest)
	}
	put32(uint32(len(c.Seccomp)))
	for _, ins := range c.Seccomp {
		_ = binary.Write(&b, binary.NativeEndian, struct {
			Op     uint16
			Jt, Jf uint8
			K      uint32
		}{ins.Op, ins.Jt, ins.Jf, ins.K})
	}
	return b.Bytes(), nil
}
