package shim

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"

	"github.com/spinoci/spinoci/shim/appproto"
)

// A task's optimising compile stages run in its cgroup, under its limits,
// while the task lives; when the task is deleted first, they move to the
// shim server's own cgroup to finish, so that the task's cgroup can be
// removed (releaseStages).
//
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
	if c.stages == nil {
		c.stages = map[int]struct{}{}
	}
	c.stages[pid] = struct{}{}
	return nil
}

// stageJoin makes the launch of a stage on a cgroup v1 host wait, within
// startStage, until the child has joined the task's cgroup: it moves
// itself in from its constructor (appproto.EnvCgroupTasksFDs), after its
// exec, and a stage recorded before that and released in between
// (releaseStages) would join after its release, leaving the task's cgroup
// impossible to remove. The constructor closes the pipe's write end
// (appproto.EnvCgroupJoinedFD) once it has joined.
type stageJoin struct{ r, w *os.File }

// newStageJoin passes cmd the pipe's write end.
func newStageJoin(cmd *exec.Cmd) (*stageJoin, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("creating the cgroup join pipe: %w", err)
	}
	cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", appproto.EnvCgroupJoinedFD, 3+len(cmd.ExtraFiles)))
	cmd.ExtraFiles = append(cmd.ExtraFiles, w)
	return &stageJoin{r: r, w: w}, nil
}

// wait returns once the started child has joined its cgroup, or exited. A
// nil *stageJoin does not wait.
func (j *stageJoin) wait() {
	if j == nil {
		return
	}
	j.w.Close() // the child holds its own copy
	_, _ = io.Copy(io.Discard, j.r)
}

// close releases the pipe.
func (j *stageJoin) close() {
	if j == nil {
		return
	}
	j.w.Close()
	j.r.Close()
}

// forgetStage drops pid, a stage that has exited.
func (c *taskCgroup) forgetStage(pid int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.stages, pid)
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
	for pid := range c.stages {
		if err := moveToOwnCgroup(pid); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("moving compile stage %d out of cgroup %s: %w", pid, c.path, err)
		}
		delete(c.stages, pid)
	}
	return nil
}

// moveToOwnCgroup moves pid (all its threads) into the calling process's
// cgroup.
func moveToOwnCgroup(pid int) error {
	own, err := pidCgroup(os.Getpid())
	if err != nil {
		return fmt.Errorf("finding the shim's cgroup: %w", err)
	}
	return own.addProcess(pid)
}
