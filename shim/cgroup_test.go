package shim

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/pkg/sys/reaper"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestTaskCgroup creates a real cgroup with a memory limit, puts a process
// in it, reads its metrics and removes it (needs root).
func TestTaskCgroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups needs root")
	}
	path := fmt.Sprintf("/spinoci-unit-%d/task", os.Getpid())
	limit := int64(32 << 20)
	cg, err := newTaskCgroup(path, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cg.delete()
		_ = removeCgroup(filepath.Dir(path))
	})
	dir, err := cg.memoryDir()
	if err != nil {
		t.Fatal(err)
	}
	limitFile := "memory.limit_in_bytes"
	if unified() {
		limitFile = "memory.max"
	}
	if b, err := os.ReadFile(filepath.Join(dir, limitFile)); err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(limit) {
		t.Errorf("%s = %q (%v), want %d", limitFile, b, err, limit)
	}

	cmd := exec.Command("sleep", "30")
	f, err := cg.dir()
	if err != nil {
		t.Fatal(err)
	}
	if f != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(f.Fd())}
		defer f.Close()
	}
	exits, err := reaper.Default.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := cg.addProcess(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	own, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", cmd.Process.Pid))
	if !strings.Contains(string(own), path) {
		t.Errorf("process cgroups %q do not include %s", own, path)
	}
	if m, err := cg.metrics(); err != nil || m == nil || m.TypeUrl == "" {
		t.Errorf("metrics: %v, %v", m, err)
	}
	if n, err := cg.oomKills(); err != nil || n != 0 {
		t.Errorf("oomKills = %d, %v", n, err)
	}
	if err := cg.delete(); err == nil {
		t.Error("deleting a cgroup with a live process succeeded")
	}
	_ = cmd.Process.Kill()
	_, _ = reaper.Default.Wait(cmd, exits)
	deadline := time.Now().Add(2 * time.Second)
	for {
		if err = cg.delete(); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after delete: %v", dir, err)
	}
}

// TestTaskCgroupOOMWatch: the OOM watch reports a process of the cgroup
// killed for exceeding its memory limit, holds no OS thread per watch
// (a shared server watches one cgroup per task) and ends with its
// context (needs root).
func TestTaskCgroupOOMWatch(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups needs root")
	}
	path := fmt.Sprintf("/spinoci-unit-oom-%d/task", os.Getpid())
	limit := int64(32 << 20)
	cg, err := newTaskCgroup(path, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit, Swap: &limit}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = removeCgroup(path)
		_ = removeCgroup(filepath.Dir(path))
	})

	goroutines, threads := runtime.NumGoroutine(), osThreads(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	const watches = 8
	events := make(chan struct{}, watches)
	for range watches {
		// The kernel may signal more than once per kill: never block.
		notify := func() {
			select {
			case events <- struct{}{}:
			default:
			}
		}
		if err := cg.watchOOM(ctx, notify); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // let every watch block in its read
	if grown := osThreads(t) - threads; grown >= watches/2 {
		t.Errorf("%d OOM watches added %d OS threads, want fewer than %d", watches, grown, watches/2)
	}

	// The shell buffers 200 MB of command output in its own memory: the
	// kernel kills it at the cgroup's 32 MB.
	cmd := exec.Command("sh", "-c", `read go; x=$(head -c 200000000 /dev/zero | tr '\0' a)`)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// Started and waited for through the reaper, as the shim's children
	// are: the test binary's reaper (TestMain) reaps every child.
	exits, err := reaper.Default.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := cg.addProcess(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	_, _ = stdin.Write([]byte("go\n"))
	if status, err := reaper.Default.Wait(cmd, exits); err != nil || status != 128+int(syscall.SIGKILL) {
		t.Fatalf("the shell ended with status %d (%v), want a SIGKILL by the OOM killer", status, err)
	}
	select {
	case <-events:
	case <-time.After(10 * time.Second):
		t.Fatal("no OOM event within 10s of the OOM kill")
	}
	if n, err := cg.oomKills(); err != nil || n < 1 {
		t.Errorf("oomKills = %d, %v; want at least 1", n, err)
	}

	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Errorf("%d goroutines after the watches' context ended, %d before they began", n, goroutines)
	}
}

// osThreads is the number of OS threads of the test process.
func osThreads(t *testing.T) int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	return len(tasks)
}
