package compiler

import (
	"fmt"
	"math/bits"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/spinoci/spinoci/shim/seccompbpf"
)

// Compile compiles an OCI seccomp profile to a BPF program for the
// machine's architecture. Calls from other ABIs (x32, i386 on x86_64) get the
// default action (x32: ENOSYS), which is stricter than a profile listing
// them. Syscalls this architecture does not have are skipped, as runc does.
func Compile(p *specs.LinuxSeccomp) ([]bpf.RawInstruction, error) {
	if p.ListenerPath != "" {
		return nil, fmt.Errorf("seccomp notify (listenerPath %q) is not supported", p.ListenerPath)
	}
	info, err := arch.GetInfo("")
	if err != nil {
		return nil, err
	}
	defaultAction, err := action(p.DefaultAction, p.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("default action: %w", err)
	}
	// The library takes a bare errno default action, and returns EPERM for
	// it; other errno values are not expressible as the default.
	switch defaultAction {
	case seccomp.ActionErrno | seccomp.Action(unix.EPERM):
		defaultAction = seccomp.ActionErrno
	case seccomp.ActionTrace | seccomp.Action(unix.EPERM):
		defaultAction = seccomp.ActionTrace
	}
	if errno := defaultAction & 0xffff; errno != 0 {
		return nil, fmt.Errorf("default action %s with errno %d is not supported (only EPERM)", p.DefaultAction, errno)
	}
	policy := seccomp.Policy{DefaultAction: defaultAction}
	for i, rule := range p.Syscalls {
		act, err := action(rule.Action, rule.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("rule %d (%v): %w", i, rule.Names, err)
		}
		conds, err := conditions(rule.Args)
		if err != nil {
			return nil, fmt.Errorf("rule %d (%v): %w", i, rule.Names, err)
		}
		group := seccomp.SyscallGroup{Action: act}
		seen := map[string]bool{}
		for _, name := range rule.Names {
			if _, ok := info.SyscallNames[name]; !ok || seen[name] {
				continue
			}
			seen[name] = true
			if len(conds) == 0 {
				group.Names = append(group.Names, name)
				continue
			}
			for _, c := range conds {
				group.NamesWithCondtions = append(group.NamesWithCondtions, seccomp.NameWithConditions{Name: name, Conditions: c})
			}
		}
		if len(group.Names)+len(group.NamesWithCondtions) > 0 {
			policy.Syscalls = append(policy.Syscalls, group)
		}
	}
	if len(policy.Syscalls) == 0 {
		// The library wants at least one rule; one that changes nothing.
		policy.Syscalls = []seccomp.SyscallGroup{{Names: []string{"exit_group"}, Action: defaultAction}}
	}
	insns, err := policy.Assemble()
	if err != nil {
		return nil, err
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return nil, fmt.Errorf("assembling the filter: %w", err)
	}
	if len(raw) > seccompbpf.MaxFilterLen {
		return nil, fmt.Errorf("the profile compiles to %d BPF instructions, more than the kernel's limit of %d", len(raw), seccompbpf.MaxFilterLen)
	}
	return raw, nil
}

// action maps an OCI action; errno actions carry errnoRet (EPERM when
// unset, as runc).
func action(a specs.LinuxSeccompAction, errnoRet *uint) (seccomp.Action, error) {
	switch a {
	case specs.ActAllow:
		return seccomp.ActionAllow, nil
	case specs.ActKill, specs.ActKillThread:
		return seccomp.ActionKillThread, nil
	case specs.ActKillProcess:
		return seccomp.ActionKillProcess, nil
	case specs.ActTrap:
		return seccomp.ActionTrap, nil
	case specs.ActLog:
		return seccomp.ActionLog, nil
	case specs.ActErrno, specs.ActTrace:
		base := seccomp.ActionErrno
		if a == specs.ActTrace {
			base = seccomp.ActionTrace
		}
		errno := uint(unix.EPERM)
		if errnoRet != nil {
			errno = *errnoRet
		}
		if errno > 0xffff {
			return 0, fmt.Errorf("errnoRet %d is out of range", errno)
		}
		return base | seccomp.Action(errno), nil
	}
	return 0, fmt.Errorf("unsupported action %q", a)
}

// conditions turns a rule's argument checks into alternatives (any of them
// matches): all checks together, or, when two check the same argument, each
// on its own (libseccomp, and so runc, treats those as separate rules).
func conditions(args []specs.LinuxSeccompArg) ([]seccomp.ArgumentConditions, error) {
	if len(args) == 0 {
		return nil, nil
	}
	all := seccomp.ArgumentConditions{}
	sameArg := false
	seen := map[uint]bool{}
	for _, a := range args {
		c, err := condition(a)
		if err != nil {
			return nil, err
		}
		sameArg = sameArg || seen[a.Index]
		seen[a.Index] = true
		all = append(all, c)
	}
	if !sameArg {
		return []seccomp.ArgumentConditions{all}, nil
	}
	alts := make([]seccomp.ArgumentConditions, 0, len(all))
	for _, c := range all {
		alts = append(alts, seccomp.ArgumentConditions{c})
	}
	return alts, nil
}

func condition(a specs.LinuxSeccompArg) (seccomp.Condition, error) {
	if a.Index > 5 {
		return seccomp.Condition{}, fmt.Errorf("argument index %d is out of range", a.Index)
	}
	c := seccomp.Condition{Argument: uint32(a.Index), Value: a.Value}
	switch a.Op {
	case specs.OpEqualTo:
		c.Operation = seccomp.Equal
	case specs.OpNotEqual:
		c.Operation = seccomp.NotEqual
	case specs.OpGreaterThan:
		c.Operation = seccomp.GreaterThan
	case specs.OpGreaterEqual:
		c.Operation = seccomp.GreaterOrEqual
	case specs.OpLessThan:
		c.Operation = seccomp.LessThan
	case specs.OpLessEqual:
		c.Operation = seccomp.LessOrEqual
	case specs.OpMaskedEqual:
		// (arg & value) == valueTwo, expressible when valueTwo is 0 (no
		// bit of value set) or, for a single-bit value, value (the
		// library's BitsSet means any bit set).
		switch {
		case a.ValueTwo == 0:
			c.Operation = seccomp.BitsNotSet
		case a.ValueTwo == a.Value && bits.OnesCount64(a.Value) == 1:
			c.Operation = seccomp.BitsSet
		default:
			return c, fmt.Errorf("SCMP_CMP_MASKED_EQ with mask %#x and value %#x is not supported", a.Value, a.ValueTwo)
		}
	default:
		return c, fmt.Errorf("unsupported operator %q", a.Op)
	}
	return c, nil
}

// WriteFilter compiles the profile p of the container whose bundle is
// bundle and leaves the program there for the server
// (seccompbpf.WriteProgram). A nil profile writes nothing.
func WriteFilter(bundle string, p *specs.LinuxSeccomp) error {
	if p == nil {
		return nil
	}
	prog, err := Compile(p)
	if err != nil {
		return fmt.Errorf("OCI spec: seccomp profile: %w", err)
	}
	return seccompbpf.WriteProgram(bundle, prog)
}
