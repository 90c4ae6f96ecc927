package shim

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
)

// cgroupStages are the processes of a task's cgroup that may outlive the
// task: its optimising compile stages. They run in the task's cgroup, under
// its limits, while the task lives; when the task is deleted first, they
// move to the shim server's own cgroup to finish, so that the task's cgroup
// can be removed.
type cgroupStages struct {
	pids map[int]struct{}
}

// startStage runs start, which starts a stage in the cgroup and returns
// its pid, and records the stage until forgetStage. Holding the cgroup's
// lock meanwhile, it cannot interleave with releaseStages: a stage is
// either recorded or not yet in the cgroup when the task is deleted.
func (c *taskCgroup) startStage(start func() (int, error)) error {
	if c == nil {
		_, err := start()
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	pid, err := start()
	if err != nil {
		return err
	}
	if c.stages.pids == nil {
		c.stages.pids = map[int]struct{}{}
	}
	c.stages.pids[pid] = struct{}{}
	return nil
}

// forgetStage drops pid, a stage that has exited.
func (c *taskCgroup) forgetStage(pid int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.stages.pids, pid)
}

// releaseStages moves the stages still running into the shim server's own
// cgroup. It is called once the task's app has exited, before the task's
// cgroup is removed.
func (c *taskCgroup) releaseStages() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for pid := range c.stages.pids {
		if err := moveToOwnCgroup(pid); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("moving compile stage %d out of cgroup %s: %w", pid, c.path, err)
		}
		delete(c.stages.pids, pid)
	}
	return nil
}

// moveToOwnCgroup moves pid (all its threads) into the calling process's
// cgroup (on v1, in every hierarchy).
func moveToOwnCgroup(pid int) error {
	if unified() {
		path, err := cgroup2.PidGroupPath(os.Getpid())
		if err != nil {
			return fmt.Errorf("finding the shim's cgroup: %w", err)
		}
		own, err := cgroup2.Load(path)
		if err != nil {
			return fmt.Errorf("loading the shim's cgroup %s: %w", path, err)
		}
		return own.AddProc(uint64(pid))
	}
	own, err := cgroup1.Load(cgroup1.PidPath(os.Getpid()))
	if err != nil {
		return fmt.Errorf("loading the shim's cgroup: %w", err)
	}
	return own.Add(cgroup1.Process{Pid: pid})
}
