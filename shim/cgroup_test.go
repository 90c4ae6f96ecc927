package shim

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

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
	if err := cmd.Start(); err != nil {
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
	_ = cmd.Wait()
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
