package shim

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/containerd/api/types/task"
	"github.com/containerd/errdefs"
	"google.golang.org/protobuf/types/known/anypb"
)

// process is a task's child process (an app or a pod's pause process) as
// the task service drives it, with the cgroup it runs in. A launcher starts
// it.
type process interface {
	// pid is the process id, which is the task's pid.
	pid() int
	// start tells the process to serve (or, a pause process, to hold its
	// namespaces) and waits until it does; it returns the address served.
	start(ctx context.Context) (addr string, err error)
	// kill sends sig; a process that has already exited is not an error.
	kill(sig syscall.Signal) error
	// wait blocks until the process has exited and returns its exit status
	// (128+signal when a signal killed it). It is called once.
	wait() int
	// closePipes releases the shim's ends of the process's pipes once it
	// has exited.
	closePipes()

	// oomKills is how many processes the kernel's OOM killer has killed in
	// the process's cgroup so far.
	oomKills() (uint64, error)
	// watchOOM calls onEvent, until ctx ends, whenever the process's cgroup
	// may have seen an OOM kill (onEvent reads oomKills itself).
	watchOOM(ctx context.Context, onEvent func()) error
	// metrics returns the cgroup metrics that Stats reports.
	metrics() (*anypb.Any, error)
	// deleteCgroup removes the process's cgroup once the task is deleted.
	deleteCgroup() error
}

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
	// appDirUsers are the processes Delete lets read appDir before it
	// removes it.
	appDirUsers *appDirUsers
	// sandbox is a pod's pause process rather than an app.
	sandbox bool
	// cgroupPath is the task's cgroup in the hierarchy ("" when the spec
	// names none), recorded for the delete action.
	cgroupPath string
	// stopOOMWatch ends the OOM event watch.
	stopOOMWatch func()

	io   *stdio
	proc process
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

// errNoTask is returned for requests about tasks this shim does not hold.
func errNoTask(id string) error {
	return fmt.Errorf("task %q: %w", id, errdefs.ErrNotFound)
}
