package sandbox

import (
	"fmt"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// FromSpec reads the process parts of a container's spec: user, groups,
// capabilities, no_new_privs and rlimits. The caller adds the hostname,
// the root and the seccomp filter (compiled from the spec's profile by the
// start action: package seccompbpf).
//
// Capabilities are the spec's sets, for every user, as runc applies them
// before it executes the container's program: it keeps the permitted set
// across the user change (PR_SET_KEEPCAPS) and then sets effective,
// permitted, inheritable and ambient as the spec says. This process
// executes nothing afterwards, so it keeps them: `ctr run --user 1000`
// runs with ctr's default set (so, for one, it may bind ports below 1024).
// The kernel's rules still hold: effective ⊆ permitted, and ambient ⊆
// permitted ∩ inheritable ∩ bounding. A spec without a capabilities
// section leaves the bounding set whole, with every capability for root
// and none for another user.
func FromSpec(spec *specs.Spec) (Config, error) {
	var c Config
	p := spec.Process
	if p == nil {
		p = &specs.Process{} // root, every capability, as runc without a process section would have
	}
	c.NoNewPrivs = p.NoNewPrivileges
	c.User = User{UID: p.User.UID, GID: p.User.GID, Groups: p.User.AdditionalGids}
	caps, err := capsFor(p.Capabilities, p.User.UID)
	if err != nil {
		return c, err
	}
	c.Caps = caps
	for _, r := range p.Rlimits {
		res, ok := rlimitResources[r.Type]
		if !ok {
			return c, fmt.Errorf("OCI spec: unknown rlimit %q", r.Type)
		}
		c.Rlimits = append(c.Rlimits, Rlimit{Resource: res, Soft: r.Soft, Hard: r.Hard})
	}
	return c, nil
}

func capsFor(spec *specs.LinuxCapabilities, uid uint32) (Caps, error) {
	last, err := capability.LastCap()
	if err != nil {
		return Caps{}, fmt.Errorf("reading the kernel's last capability: %w", err)
	}
	all := uint64(1)<<(uint(last)+1) - 1
	c := Caps{LastCap: uint32(last), Bounding: all}
	if spec == nil {
		if uid == 0 {
			c.Effective, c.Permitted = all, all
		}
		return c, nil
	}
	for _, s := range []struct {
		names []string
		set   *uint64
	}{
		{spec.Bounding, &c.Bounding}, {spec.Effective, &c.Effective}, {spec.Permitted, &c.Permitted},
		{spec.Inheritable, &c.Inheritable}, {spec.Ambient, &c.Ambient},
	} {
		if *s.set, err = capMask(s.names, last); err != nil {
			return c, err
		}
	}
	c.Effective &= c.Permitted
	c.Ambient &= c.Permitted & c.Inheritable & c.Bounding
	return c, nil
}

func capMask(names []string, last capability.Cap) (uint64, error) {
	known := map[string]capability.Cap{}
	for _, c := range capability.ListKnown() {
		known["CAP_"+strings.ToUpper(c.String())] = c
	}
	var mask uint64
	for _, n := range names {
		c, ok := known[strings.ToUpper(n)]
		if !ok {
			return 0, fmt.Errorf("OCI spec: unknown capability %q", n)
		}
		if c > last {
			continue // the kernel does not have it; runc skips it too
		}
		mask |= 1 << uint(c)
	}
	return mask, nil
}

var rlimitResources = map[string]uint32{
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": 10,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13,
	"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME, "RLIMIT_SIGPENDING": 11,
	"RLIMIT_STACK": unix.RLIMIT_STACK,
}
