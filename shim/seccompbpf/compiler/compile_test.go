package compiler

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/containerd/containerd/v2/contrib/seccomp"
	"github.com/elastic/go-seccomp-bpf/arch"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// runFilter runs prog on a seccomp_data record for syscall nr with args, as
// the kernel would on this machine, and returns the filter's verdict.
func runFilter(t *testing.T, prog []bpf.RawInstruction, nr int, args ...uint64) uint32 {
	t.Helper()
	info, err := arch.GetInfo("")
	if err != nil {
		t.Fatal(err)
	}
	// seccomp_data: nr, arch, instruction pointer, six arguments. The VM
	// loads 32-bit words big-endian; the filter reads each argument's
	// halves where this (little-endian) machine keeps them.
	data := make([]byte, 64)
	binary.BigEndian.PutUint32(data[0:], uint32(nr))
	binary.BigEndian.PutUint32(data[4:], uint32(info.ID))
	for i, a := range args {
		binary.BigEndian.PutUint32(data[16+8*i:], uint32(a))
		binary.BigEndian.PutUint32(data[16+8*i+4:], uint32(a>>32))
	}
	insns, ok := bpf.Disassemble(prog)
	if !ok {
		t.Fatal("the filter does not disassemble")
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatal(err)
	}
	verdict, err := vm.Run(data)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(verdict)
}

// TestDefaultProfile compiles containerd's default seccomp profile (what
// `ctr run --seccomp` and CRI's RuntimeDefault put in the spec) and checks
// its verdicts: ordinary calls pass, kernel-level ones get EPERM, clone may
// not create namespaces, personality only takes the listed values.
func TestDefaultProfile(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the VM check assumes a little-endian machine")
	}
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN"}}}}
	prog, err := Compile(seccomp.DefaultProfile(spec))
	if err != nil {
		t.Fatal(err)
	}
	const allow, eperm = unix.SECCOMP_RET_ALLOW, unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	for _, c := range []struct {
		name string
		nr   int
		args []uint64
		want uint32
	}{
		{"read", unix.SYS_READ, nil, allow},
		{"mmap", unix.SYS_MMAP, nil, allow},
		{"kexec_load", unix.SYS_KEXEC_LOAD, nil, eperm},
		{"mount", unix.SYS_MOUNT, nil, eperm},
		{"clone (thread)", unix.SYS_CLONE, []uint64{unix.CLONE_VM | unix.CLONE_THREAD}, allow},
		{"clone (new user namespace)", unix.SYS_CLONE, []uint64{unix.CLONE_NEWUSER}, eperm},
		{"personality(0)", unix.SYS_PERSONALITY, []uint64{0}, allow},
		{"personality(4)", unix.SYS_PERSONALITY, []uint64{4}, eperm},
	} {
		if got := runFilter(t, prog, c.nr, c.args...); got != c.want {
			t.Errorf("%s: verdict %#x, want %#x", c.name, got, c.want)
		}
	}
}

func TestSeccompErrors(t *testing.T) {
	errno := uint(unix.ENOSYS)
	var many []specs.LinuxSyscall
	for i := range 5000 {
		many = append(many, specs.LinuxSyscall{Names: []string{"personality"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: uint64(i), Op: specs.OpEqualTo}}})
	}
	for want, p := range map[string]*specs.LinuxSeccomp{
		"more than the kernel's limit of 4096": {DefaultAction: specs.ActErrno, Syscalls: many},
		"seccomp notify":                       {DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock"},
		"only EPERM":                           {DefaultAction: specs.ActErrno, DefaultErrnoRet: &errno},
		"SCMP_CMP_MASKED_EQ with mask 0x3": {DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{
			Names: []string{"read"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Value: 3, ValueTwo: 1, Op: specs.OpMaskedEqual}},
		}}},
		`unsupported action "SCMP_ACT_NOTIFY"`: {DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{
			Names: []string{"read"}, Action: specs.ActNotify}}},
	} {
		if _, err := Compile(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want an error naming %q", err, want)
		}
	}
}
