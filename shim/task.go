package shim

import (
	"fmt"
	"sync"
	"time"

	"github.com/containerd/containerd/api/types/task"
	"github.com/containerd/errdefs"
)

// taskState is where a task is in its life. Moves are explicit and checked:
// created → running → stopped → deleted, or created → stopped (killed or
// crashed before Start) → deleted.
type taskState int

const (
	stateCreated taskState = iota
	stateRunning
	stateStopped
	stateDeleted
)

func (s taskState) String() string {
	switch s {
	case stateCreated:
		return "created"
	case stateRunning:
		return "running"
	case stateStopped:
		return "stopped"
	case stateDeleted:
		return "deleted"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

func (s taskState) apiStatus() task.Status {
	switch s {
	case stateCreated:
		return task.Status_CREATED
	case stateRunning:
		return task.Status_RUNNING
	case stateStopped, stateDeleted:
		return task.Status_STOPPED
	}
	return task.Status_UNKNOWN
}

// canMoveTo lists the legal transitions.
func (s taskState) canMoveTo(next taskState) bool {
	switch s {
	case stateCreated:
		return next == stateRunning || next == stateStopped
	case stateRunning:
		return next == stateStopped
	case stateStopped:
		return next == stateDeleted
	}
	return false
}

// shimTask is one container held by this shim.
type shimTask struct {
	id     string
	bundle string
	stdin  string
	stdout string
	stderr string
	appDir string // "" for a sandbox
	// sandbox is a pod's pause process rather than an app.
	sandbox bool
	cgroup  *taskCgroup // nil when the spec names none
	// stopOOMWatch ends the OOM event watch (set when there is a cgroup).
	stopOOMWatch func()

	io   *stdio
	proc *appProcess
	pid  int

	// exited is closed once the exit status is known.
	exited chan struct{}

	mu         sync.Mutex
	state      taskState
	exitStatus int
	exitedAt   time.Time
	// oomKills is the cgroup's OOM kill count last reported in a
	// /tasks/oom event.
	oomKills uint64
}

// cgroupPath is the task's cgroup in the hierarchy, or "".
func (t *shimTask) cgroupPath() string {
	if t.cgroup == nil {
		return ""
	}
	return t.cgroup.path
}

// transition moves the task to next, or fails naming both states. The
// caller holds t.mu.
func (t *shimTask) transition(next taskState) error {
	if t.state.canMoveTo(next) {
		t.state = next
		return nil
	}
	return fmt.Errorf("task %q: cannot move from %s to %s: %w", t.id, t.state, next, errdefs.ErrFailedPrecondition)
}

// snapshot returns the task's state and exit under its lock.
func (t *shimTask) snapshot() (taskState, int, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state, t.exitStatus, t.exitedAt
}
