package shim

import (
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/shim/appdirs"
	"github.com/spinoci/spinoci/shim/appproto"
)

func TestCgroupfsPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"/kubepods/burstable/pod1/c1": "/kubepods/burstable/pod1/c1",
		"k8s.io/c1":                   "/k8s.io/c1",
		"/default/../x/c1":            "/x/c1",
		"kubepods-besteffort-pod1.slice:cri-containerd:c1": "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-c1.scope",
		"system.slice:docker:abc":                          "/system.slice/docker-abc.scope",
		":cri-containerd:c1":                               "/system.slice/cri-containerd-c1.scope",
		"-.slice:p:c1":                                     "/p-c1.scope",
		"kubepods.slice::pod1.slice":                       "/kubepods.slice/pod1.slice",
	} {
		got, err := cgroupfsPath(in)
		if err != nil || got != want {
			t.Errorf("cgroupfsPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"/", "nosuffix:p:c1", "a--b.slice:p:c1", "a/b.slice:p:c1", "kubepods.slice:p:", "a:b"} {
		if got, err := cgroupfsPath(bad); err == nil {
			t.Errorf("cgroupfsPath(%q) = %q, want an error", bad, got)
		} else if !strings.Contains(err.Error(), bad) && bad != "a--b.slice:p:c1" {
			t.Errorf("cgroupfsPath(%q): error %q does not name the path", bad, err)
		}
	}
}

func TestAppliedResourcesKeepsMemoryCPUPids(t *testing.T) {
	limit, shares, pids := int64(64<<20), uint64(512), int64(100)
	got := appliedResources(&specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: &limit},
		CPU:     &specs.LinuxCPU{Shares: &shares},
		Pids:    &specs.LinuxPids{Limit: &pids},
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
	})
	if *got.Memory.Limit != limit || *got.CPU.Shares != shares || *got.Pids.Limit != pids || got.Devices != nil {
		t.Errorf("appliedResources = %+v", got)
	}
	if appliedResources(nil) == nil {
		t.Error("appliedResources(nil) is nil")
	}
}

func TestPlanNamespaces(t *testing.T) {
	crisandbox := &specs.Spec{
		Hostname:    "pod-host",
		Annotations: map[string]string{appdirs.ContainerTypeAnnotation: appdirs.ContainerTypeSandbox},
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
			{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
			{Type: specs.MountNamespace}, {Type: specs.NetworkNamespace, Path: "/var/run/netns/cni-1"},
		}},
	}
	if !isSandbox(crisandbox) {
		t.Fatal("sandbox not recognised")
	}
	plan, err := planNamespaces(crisandbox, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := uintptr(syscall.CLONE_NEWPID | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS); plan.cloneFlags != want {
		t.Errorf("sandbox clone flags %#x, want %#x", plan.cloneFlags, want)
	}
	if len(plan.joins) != 1 || plan.joins[0] != (appproto.NamespaceJoin{Type: "net", Path: "/var/run/netns/cni-1"}) || plan.loopbackUp {
		t.Errorf("sandbox joins %+v loopback %v", plan.joins, plan.loopbackUp)
	}
	if plan.hostname != "pod-host" {
		t.Errorf("hostname %q", plan.hostname)
	}

	container := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
		{Type: specs.PIDNamespace, Path: "/proc/42/ns/pid"}, {Type: specs.IPCNamespace, Path: "/proc/42/ns/ipc"},
		{Type: specs.UTSNamespace, Path: "/proc/42/ns/uts"}, {Type: specs.MountNamespace},
		{Type: specs.NetworkNamespace, Path: "/proc/42/ns/net"},
	}}}
	plan, err = planNamespaces(container, false)
	if err != nil {
		t.Fatal(err)
	}
	if plan.cloneFlags != 0 || plan.hostname != "" {
		t.Errorf("app container: clone flags %#x hostname %q, want none", plan.cloneFlags, plan.hostname)
	}
	env, err := plan.env()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{appproto.EnvJoin + "=ipc=/proc/42/ns/ipc,uts=/proc/42/ns/uts,net=/proc/42/ns/net"}
	if strings.Join(env, " ") != strings.Join(want, " ") {
		t.Errorf("env %q, want %q", env, want)
	}

	// ctr run without --net-host: new namespaces, lo up, no new PID
	// namespace for an app.
	ctr := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
		{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
		{Type: specs.MountNamespace}, {Type: specs.NetworkNamespace},
	}}}
	plan, _ = planNamespaces(ctr, false)
	if want := uintptr(syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS | syscall.CLONE_NEWNET); plan.cloneFlags != want || !plan.loopbackUp {
		t.Errorf("ctr app: clone flags %#x loopback %v", plan.cloneFlags, plan.loopbackUp)
	}
	if env, _ := plan.env(); strings.Join(env, " ") != appproto.EnvLoopbackUp+"=1" {
		t.Errorf("ctr app env %q", env)
	}

	// --net-host: no network entry at all.
	hostNet := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}}}}
	if plan, _ := planNamespaces(hostNet, false); plan.cloneFlags != 0 || plan.loopbackUp || len(plan.joins) != 0 {
		t.Errorf("host network app: %+v", plan)
	}

	userns := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.UserNamespace, Path: "/proc/1/ns/user"}}}}
	if _, err := planNamespaces(userns, false); err == nil || !strings.Contains(err.Error(), "user namespaces") {
		t.Errorf("user namespace: %v", err)
	}
}
