package shim

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/pkg/sys/reaper"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/shim/appdirs"
)

// TestMain reaps children through pkg/sys/reaper as pkg/shim's SIGCHLD
// handler does in the shim, so that appProcess.wait returns.
func TestMain(m *testing.M) {
	sigchld := make(chan os.Signal, 32)
	signal.Notify(sigchld, syscall.SIGCHLD)
	go func() {
		for range sigchld {
			_ = reaper.Reap()
		}
	}()
	remove, err := installTestAppBinary()
	if err != nil {
		fmt.Fprintln(os.Stderr, "installing the test app binary:", err)
		os.Exit(1)
	}
	status := m.Run()
	remove()
	os.Exit(status)
}

// waitExit is proc.wait bounded by a timeout.
func waitExit(t *testing.T, proc process) int {
	t.Helper()
	done := make(chan int, 1)
	go func() { done <- proc.wait() }()
	select {
	case status := <-done:
		return status
	case <-time.After(10 * time.Second):
		t.Fatalf("process %d did not exit within 10s", proc.pid())
		return -1
	}
}

// TestPauseProcess starts a sandbox's pause process the way Create does: in
// new PID, IPC and UTS namespaces with the pod's hostname, joining a network
// namespace by path, in a cgroup; SIGTERM ends it with status 0.
func TestPauseProcess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("namespaces and cgroups need root")
	}
	// A network namespace to join, held by a helper process.
	holder, err := os.StartProcess("/bin/sleep", []string{"sleep", "60"}, &os.ProcAttr{
		Sys: &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Kill(); _, _ = holder.Wait() })
	netns := fmt.Sprintf("/proc/%d/ns/net", holder.Pid)

	spec := &specs.Spec{
		Hostname:    "pod-host",
		Annotations: map[string]string{appdirs.ContainerTypeAnnotation: appdirs.ContainerTypeSandbox},
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
			{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
			{Type: specs.MountNamespace}, {Type: specs.NetworkNamespace, Path: netns},
		}},
	}
	plan, err := planNamespaces(spec, isSandbox(spec))
	if err != nil {
		t.Fatal(err)
	}
	cgPath := fmt.Sprintf("/spinoci-unit-pause-%d", os.Getpid())
	t.Cleanup(func() { _ = removeCgroup(cgPath) })
	devNull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer devNull.Close()

	oomScoreAdj := 500 // above the test's own, which needs no CAP_SYS_RESOURCE
	proc := startPause(t, appLaunch{pause: true, dir: t.TempDir(), stdout: devNull, stderr: devNull, ns: plan, cgroupPath: cgPath,
		oomScoreAdj: &oomScoreAdj})
	pid := proc.pid()
	ns := func(pid int, kind string) string {
		link, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind))
		return link
	}
	self := os.Getpid()
	if ns(pid, "net") != ns(holder.Pid, "net") {
		t.Errorf("pause process did not join %s", netns)
	}
	for _, kind := range []string{"pid", "ipc", "uts"} {
		if ns(pid, kind) == ns(self, kind) {
			t.Errorf("pause process shares the test's %s namespace", kind)
		}
	}
	if ns(pid, "mnt") != ns(self, "mnt") {
		t.Errorf("pause process got a new mount namespace")
	}
	if status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); !strings.Contains(string(status), "NSpid:\t"+fmt.Sprint(pid)+"\t1\n") {
		t.Errorf("pause process is not pid 1 of its PID namespace:\n%s", status)
	}
	if own, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid)); !strings.Contains(string(own), cgPath) {
		t.Errorf("pause process is not in cgroup %s:\n%s", cgPath, own)
	}
	if score, _ := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid)); strings.TrimSpace(string(score)) != "500" {
		t.Errorf("pause process's oom_score_adj is %q, want the spec's 500", score)
	}
	// The hostname is set in its own UTS namespace only.
	if host, _ := os.Hostname(); host == "pod-host" {
		t.Errorf("the test's hostname changed")
	}

	if err := proc.kill(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if status := waitExit(t, proc); status != 0 {
		t.Errorf("pause exit status after SIGTERM: %d, want 0", status)
	}
}

// TestPauseJoinFailure: a network namespace path that does not exist fails
// the launch with an error naming it.
func TestPauseJoinFailure(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("namespaces need root")
	}
	spec := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/run/netns/spinoci-missing"}}}}
	plan, err := planNamespaces(spec, true)
	if err != nil {
		t.Fatal(err)
	}
	devNull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer devNull.Close()
	_, err = childLauncher{}.launch(context.Background(), appLaunch{pause: true, dir: t.TempDir(), stdout: devNull, stderr: devNull, ns: plan})
	if err == nil || !strings.Contains(err.Error(), "opening the pod's network namespace /run/netns/spinoci-missing") {
		t.Errorf("launch error %v, want one naming the missing namespace", err)
	}
}
