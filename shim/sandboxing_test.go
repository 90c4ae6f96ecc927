package shim

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/contrib/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/shim/appdirs"
	"github.com/spinoci/spinoci/shim/rendezvous"
	"github.com/spinoci/spinoci/shim/seccompbpf/compiler"
)

// TestSandboxedPauseProcess: a pause process launched from a spec with a
// user, capability sets (kept across the user change), no_new_privs, an rlimit, containerd's default
// seccomp profile and a hostname runs with exactly those, in a mount
// namespace of its own whose root holds only /dev's basic nodes; SIGTERM
// still ends it with status 0.
func TestSandboxedPauseProcess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("namespaces, mounts and user changes need root")
	}
	spec := &specs.Spec{
		Hostname:    "sandboxed-pod",
		Annotations: map[string]string{appdirs.ContainerTypeAnnotation: appdirs.ContainerTypeSandbox},
		Process: &specs.Process{
			User: specs.User{UID: 1000, GID: 1001, AdditionalGids: []uint32{1002}},
			Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
				Effective: []string{"CAP_NET_BIND_SERVICE"}, Permitted: []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"}},
			NoNewPrivileges: true,
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 200, Hard: 200}},
		},
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.UTSNamespace}}},
	}
	spec.Linux.Seccomp = seccomp.DefaultProfile(spec)
	plan, err := planNamespaces(spec, true)
	if err != nil {
		t.Fatal(err)
	}
	devNull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer devNull.Close()
	launch := appLaunch{pause: true, dir: t.TempDir(), stdout: devNull, stderr: devNull, ns: plan}
	bundle := t.TempDir()
	if err := compiler.WriteFilter(bundle, spec.Linux.Seccomp); err != nil { // the start action's part
		t.Fatal(err)
	}
	if err := planSandbox(spec, &launch, bundle); err != nil {
		t.Fatal(err)
	}
	proc := startPause(t, launch)
	pid := proc.pid()
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, want := range []string{
		"Uid:\t1000\t1000\t1000\t1000\n", "Gid:\t1001\t1001\t1001\t1001\n", "Groups:\t1002 \n",
		"CapBnd:\t0000000000000420\n", "CapEff:\t0000000000000400\n", "CapPrm:\t0000000000000420\n", "CapAmb:\t0000000000000000\n",
		"NoNewPrivs:\t1\n", "Seccomp:\t2\n",
	} {
		if !strings.Contains(string(status), want) {
			t.Errorf("/proc/%d/status lacks %q:\n%s", pid, want, status)
		}
	}
	if limits, _ := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid)); !strings.Contains(string(limits), "Max open files            200                  200") {
		t.Errorf("open-file limit is not the spec's 200:\n%s", limits)
	}
	ns := func(pid int) string { link, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid)); return link }
	if ns(pid) == ns(os.Getpid()) {
		t.Errorf("the pause process is in the test's mount namespace")
	}
	root := fmt.Sprintf("/proc/%d/root", pid)
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "dev proc" {
		t.Errorf("the pause process's root holds %v, want [dev proc]", names)
	}
	if _, err := os.Stat(root + "/dev/urandom"); err != nil {
		t.Errorf("no /dev/urandom in the pause process's root: %v", err)
	}
	if err := proc.kill(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if status := waitExit(t, proc); status != 0 {
		t.Errorf("pause exit status after SIGTERM: %d, want 0", status)
	}
}

// TestSandboxRejectsBadSpec: a spec the sandbox cannot honour fails the
// launch with an error naming the problem.
func TestSandboxRejectsBadSpec(t *testing.T) {
	for name, spec := range map[string]*specs.Spec{
		`unknown rlimit "RLIMIT_BOGUS"`:  {Process: &specs.Process{Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_BOGUS"}}}},
		`unknown capability "CAP_BOGUS"`: {Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_BOGUS"}}}},
	} {
		launch := appLaunch{pause: true}
		if err := planSandbox(spec, &launch, t.TempDir()); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("got %v, want an error naming %s", err, name)
		}
	}
}

// startPause launches and starts a pause process; it is killed when the
// test ends, if it still runs.
func startPause(t *testing.T, launch appLaunch) process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	proc, err := childLauncher{}.launch(ctx, launch)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proc.closePipes)
	t.Cleanup(func() { _ = proc.kill(syscall.SIGKILL) })
	if _, err := proc.start(ctx); err != nil {
		t.Fatal(err)
	}
	return proc
}

// TestSeccompFilterWithoutAStartAction: a container whose start ran no start
// action (a pod's container that containerd created in the pod's server)
// has its spec's seccomp profile compiled into its bundle first; one whose
// start action compiled it is not compiled again; outside a server binary
// named after the shim, the shim binary's compile fails naming the binary.
func TestSeccompFilterWithoutAStartAction(t *testing.T) {
	profile := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}}}
	want, err := compiler.Compile(profile)
	if err != nil {
		t.Fatal(err)
	}
	bundle := t.TempDir()
	compiled := 0
	compile := func(b string) error {
		compiled++
		return compiler.WriteFilter(b, profile)
	}
	for range 2 {
		prog, err := seccompFilter(bundle, compile)
		if err != nil || !slices.Equal(prog, want) {
			t.Fatalf("filter of %d instructions (%v), want the profile's %d", len(prog), err, len(want))
		}
	}
	if compiled != 1 {
		t.Errorf("compiled %d times, want once (the second read finds the filter)", compiled)
	}
	if _, err := seccompFilter(t.TempDir(), compileSeccompWithShim); err == nil || !strings.Contains(err.Error(), rendezvous.ServerSuffix) {
		t.Errorf("the default compile in a binary not named like the server: %v, want an error naming the suffix", err)
	}
}
