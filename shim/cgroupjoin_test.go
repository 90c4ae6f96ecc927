package shim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestChildJoinsItsCgroupV1 (cgroup v1 hosts, root): a child moves itself
// into the task's cgroup in every v1 hierarchy before it runs (the
// constructor writes to the tasks files the shim passes); a hierarchy that
// refuses it (a cpuset cgroup without CPUs) fails the launch with an error
// naming the cgroup and the reason, and leaves no process behind: the cgroup
// can be removed at once.
func TestChildJoinsItsCgroupV1(t *testing.T) {
	devNull := v1JoinTest(t)
	newCgroup := func(t *testing.T, name string) (*taskCgroup, string) {
		path := fmt.Sprintf("/spinoci-unit-join-%d/%s", os.Getpid(), name)
		return newTestCgroup(t, path), path
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	launch := appLaunch{pause: true, dir: t.TempDir(), stdout: devNull, stderr: devNull}

	t.Run("joined", func(t *testing.T) {
		cg, path := newCgroup(t, "joined")
		proc, err := startChild(ctx, launch, cg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = proc.kill(syscall.SIGKILL)
			proc.wait()
			proc.closePipes()
		})
		own, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", proc.pid()))
		if err != nil {
			t.Fatal(err)
		}
		joined := 0
		for _, line := range strings.Split(strings.TrimSpace(string(own)), "\n") {
			// hierarchy-id:controllers:path; "0::…" is a hybrid host's v2
			// hierarchy, which the v1 cgroup does not cover.
			parts := strings.SplitN(line, ":", 3)
			if len(parts) != 3 || parts[0] == "0" || parts[1] == "" {
				continue
			}
			if parts[2] != path {
				t.Errorf("in hierarchy %s the child is in %s, want %s", parts[1], parts[2], path)
			}
			joined++
		}
		if want := len(cgroupV1Hierarchies(t, cg)); joined < want {
			t.Errorf("the child is in %d v1 hierarchies, want the cgroup's %d:\n%s", joined, want, own)
		}
	})

	t.Run("refused", func(t *testing.T) {
		cg, path := newCgroup(t, "refused")
		cpus := filepath.Join("/sys/fs/cgroup/cpuset", path, "cpuset.cpus")
		if err := os.WriteFile(cpus, []byte("\n"), 0); err != nil {
			t.Skipf("emptying %s: %v", cpus, err)
		}
		_, err := startChild(ctx, launch, cg)
		if err == nil || !strings.Contains(err.Error(), "joining the container's cgroup") ||
			!strings.Contains(err.Error(), path) || !strings.Contains(strings.ToLower(err.Error()), syscall.ENOSPC.Error()) {
			t.Fatalf("launch into a cpuset cgroup without CPUs: %v; want an error naming the cgroup and %q", err, syscall.ENOSPC)
		}
		if err := cg.delete(); err != nil {
			t.Errorf("removing the cgroup after the failed launch: %v (a process left in it?)", err)
		}
	})
}

// v1JoinTest skips t unless it runs as root on a cgroup v1 host, and
// returns /dev/null, open for writing until t ends, as children's output.
func v1JoinTest(t *testing.T) *os.File {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups needs root")
	}
	if unified() {
		t.Skip("cgroup v2 host: children start in their cgroup (CLONE_INTO_CGROUP)")
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devNull.Close() })
	return devNull
}

// newTestCgroup creates the task cgroup path (one level below a parent of
// the test's), removed with its parent when t ends.
func newTestCgroup(t *testing.T, path string) *taskCgroup {
	t.Helper()
	cg, err := newTaskCgroup(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cg.delete()
		_ = removeCgroup(filepath.Dir(path))
	})
	return cg
}

// cgroupV1Hierarchies lists the distinct v1 hierarchy directories of cg.
func cgroupV1Hierarchies(t *testing.T, cg *taskCgroup) []string {
	t.Helper()
	files, err := cg.v1TasksFiles()
	if err != nil {
		t.Fatal(err)
	}
	defer closeFiles(files)
	dirs := make([]string, len(files))
	for i, f := range files {
		dirs[i] = filepath.Dir(f.Name())
	}
	return dirs
}

// TestStageReleasedAfterItsJoin (cgroup v1 hosts, root): a compile stage
// released from the task's cgroup while it starts (releaseStages, as a
// Delete does) is out of the cgroup for good: its launch records it only
// once it has moved itself in, so the release cannot come first and be
// undone by the join, and the cgroup can be removed at once.
func TestStageReleasedAfterItsJoin(t *testing.T) {
	devNull := v1JoinTest(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	// Each round races a release against a start; the window without the
	// wait (the exec to the constructor's join) is most of a launch.
	for round := range 20 {
		cg := newTestCgroup(t, fmt.Sprintf("/spinoci-unit-release-%d/%d", os.Getpid(), round))
		type started struct {
			p   *appProcess
			err error
		}
		done := make(chan started, 1)
		go func() {
			p, err := startChild(ctx, appLaunch{pause: true, outlivesTask: true, dir: t.TempDir(), stdout: devNull, stderr: devNull}, cg)
			done <- started{p, err}
		}()
		var s started
	release:
		for {
			if err := cg.releaseStages(); err != nil {
				t.Fatal(err)
			}
			select {
			case s = <-done:
				break release
			default:
			}
		}
		if s.err != nil {
			t.Fatal(s.err)
		}
		// The last release ran after the launch returned, or found the
		// stage recorded: either way it has moved the stage out.
		if err := cg.releaseStages(); err != nil {
			t.Fatal(err)
		}
		err := cg.delete()
		_ = s.p.kill(syscall.SIGKILL)
		s.p.wait()
		s.p.closePipes()
		if err != nil {
			t.Fatalf("round %d: removing the task's cgroup after its stage was released: %v (the stage joined it after the release?)", round, err)
		}
	}
}
