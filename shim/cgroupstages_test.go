package shim

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestStagesMoveOutOfARemovedCgroup: a process started as one that may
// outlive its task (an optimising compile stage) keeps running when the
// task's cgroup is removed: it moves into the shim's own cgroup first. Any
// other process left in a cgroup keeps it from being removed. A pause
// process stands in for both: it runs until killed (needs root).
func TestStagesMoveOutOfARemovedCgroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups needs root")
	}
	base := fmt.Sprintf("/spinoci-unit-stages-%d", os.Getpid())
	t.Cleanup(func() {
		_ = removeCgroup(base + "/stage")
		_ = removeCgroup(base + "/other")
		_ = removeCgroup(base)
	})
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	cgroupOf := func(pid int) string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	stage := startPause(t, appLaunch{pause: true, dir: t.TempDir(), stdout: devNull, stderr: devNull,
		cgroupPath: base + "/stage", outlivesTask: true})
	if !strings.Contains(cgroupOf(stage.pid()), base+"/stage") {
		t.Fatalf("the stage does not start in its task's cgroup:\n%s", cgroupOf(stage.pid()))
	}
	if err := stage.deleteCgroup(); err != nil {
		t.Fatalf("removing the cgroup of a running stage: %v", err)
	}
	if err := syscall.Kill(stage.pid(), 0); err != nil {
		t.Errorf("the stage does not run after its task's cgroup was removed: %v", err)
	}
	if got, own := cgroupOf(stage.pid()), cgroupOf(os.Getpid()); got != own {
		t.Errorf("the stage's cgroups:\n%s\nwant the shim's own:\n%s", got, own)
	}
	if c, err := loadTaskCgroup(base + "/stage"); err != nil || c != nil {
		t.Errorf("the task's cgroup is still there (%v)", err)
	}

	other := startPause(t, appLaunch{pause: true, dir: t.TempDir(), stdout: devNull, stderr: devNull,
		cgroupPath: base + "/other"})
	if err := other.deleteCgroup(); err == nil {
		t.Error("a cgroup holding a process that is no stage was removed")
	}
	if !strings.Contains(cgroupOf(other.pid()), base+"/other") {
		t.Errorf("a process that is no stage left its cgroup:\n%s", cgroupOf(other.pid()))
	}
}
