package shim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"syscall"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/v2/pkg/sys/reaper"
	runc "github.com/containerd/go-runc"
	"github.com/containerd/log"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/spinoci/spinoci/shim/shimserver"
)

// The task service's side of a server's renewal (shimserver.Renewable):
// its tasks, handed to the server's next process, which adopts their
// processes (still its children) and cgroups.

// eventsFlushWait bounds the wait for the events queued before a renewal to
// reach containerd.
const eventsFlushWait = 2 * time.Second

// renewedTask is a task as a server hands it to its next process.
type renewedTask struct {
	ID         string    `json:"id"`
	Bundle     string    `json:"bundle"`
	Stdin      string    `json:"stdin,omitempty"`
	Stdout     string    `json:"stdout,omitempty"`
	Stderr     string    `json:"stderr,omitempty"`
	AppDir     string    `json:"app_dir,omitempty"`
	Sandbox    bool      `json:"sandbox,omitempty"`
	CgroupPath string    `json:"cgroup_path,omitempty"`
	Pid        int       `json:"pid"`
	Running    bool      `json:"running"`
	ExitStatus int       `json:"exit_status"`
	ExitedAt   time.Time `json:"exited_at"`
	OOMKills   uint64    `json:"oom_kills"`
}

var _ shimserver.Renewable = (*service)(nil)

// CanRenew implements shimserver.Renewable: every task has started (its
// app process reads its control and status pipes no more) and no
// optimising compile stage runs.
func (s *service) CanRenew() bool {
	if s.background != nil && s.background.busy() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || len(s.creating) > 0 || len(s.tasks) == 0 {
		return false
	}
	for _, t := range s.tasks {
		if state, _, _ := t.snapshot(); state == stateCreated {
			return false
		}
	}
	return true
}

// HandOver implements shimserver.Renewable. It holds the service's and every
// task's lock until thaw (or the exec), so that nothing changes, and hands
// over only Waits on running tasks.
func (s *service) HandOver(ctx context.Context, open []shimserver.OpenRequest) (_ []byte, _ func(), retErr error) {
	waited, err := waitedTasks(open)
	if err != nil {
		return nil, nil, err
	}
	if s.background != nil && s.background.busy() {
		return nil, nil, errors.New("a compile stage runs")
	}
	s.mu.Lock()
	tasks := make([]*shimTask, 0, len(s.tasks))
	for _, t := range s.tasks {
		tasks = append(tasks, t)
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].id < tasks[j].id })
	for _, t := range tasks {
		t.mu.Lock()
	}
	oomStopped := false
	thaw := func() {
		for _, t := range tasks {
			if oomStopped && t.state == stateRunning {
				s.watchOOM(t)
			}
			t.mu.Unlock()
		}
		s.mu.Unlock()
	}
	defer func() {
		if retErr != nil {
			thaw()
		}
	}()
	if s.closing || len(s.creating) > 0 {
		return nil, nil, errors.New("the server is shutting down or creating a task")
	}
	renewed := make([]renewedTask, 0, len(tasks))
	for _, t := range tasks {
		switch t.state {
		case stateRunning:
			if exitReaped(t.pid) {
				return nil, nil, fmt.Errorf("task %q has exited and its exit is being recorded", t.id)
			}
		case stateStopped:
			if waited[t.id] {
				return nil, nil, fmt.Errorf("task %q has exited and its Wait is being answered", t.id)
			}
		default:
			return nil, nil, fmt.Errorf("task %q is %s", t.id, t.state)
		}
		delete(waited, t.id)
		renewed = append(renewed, renewedTask{ID: t.id, Bundle: t.bundle, Stdin: t.stdin, Stdout: t.stdout, Stderr: t.stderr,
			AppDir: t.appDir, Sandbox: t.sandbox, CgroupPath: t.cgroupPath, Pid: t.pid, Running: t.state == stateRunning,
			ExitStatus: t.exitStatus, ExitedAt: t.exitedAt, OOMKills: t.oomKills})
	}
	for id := range waited {
		return nil, nil, fmt.Errorf("a Wait for task %q, which this server does not hold, is being answered", id)
	}
	for _, t := range tasks {
		if t.stopOOMWatch != nil {
			t.stopOOMWatch()
		}
	}
	oomStopped = true
	if err := s.flushEvents(eventsFlushWait); err != nil {
		return nil, nil, err
	}
	state, err := json.Marshal(renewed)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the tasks: %w", err)
	}
	return state, thaw, nil
}

// waitedTasks returns the tasks the open requests wait for; any other open
// request cannot be handed over.
func waitedTasks(open []shimserver.OpenRequest) (map[string]bool, error) {
	waited := make(map[string]bool)
	for _, r := range open {
		if r.Method != "Wait" || (r.Service != shimserver.TaskServiceV2 && r.Service != shimserver.TaskServiceV3) {
			return nil, fmt.Errorf("a %s/%s request is under way", r.Service, r.Method)
		}
		payload, err := r.Payload()
		if err != nil {
			return nil, err
		}
		var w taskAPI.WaitRequest
		if err := proto.Unmarshal(payload, &w); err != nil {
			return nil, fmt.Errorf("decoding a Wait request: %w", err)
		}
		if w.ExecID != "" {
			return nil, fmt.Errorf("a Wait for exec %q is under way", w.ExecID)
		}
		waited[w.ID] = true
	}
	return waited, nil
}

// exitReaped tells whether pid, a child of the server, has been reaped
// already: its exit is on its way to the task's watch, which the renewal
// would lose. A child that has exited and not been reaped is the next
// process's to reap.
func exitReaped(pid int) bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
	return errors.Is(err, unix.ECHILD)
}

// flushEvents waits until the events queued so far are published.
func (s *service) flushEvents(limit time.Duration) error {
	flushed := make(chan struct{})
	select {
	case s.events <- eventsFlushed(flushed):
	case <-time.After(limit):
		return errors.New("the events queue is full")
	}
	select {
	case <-flushed:
		return nil
	case <-time.After(limit):
		return fmt.Errorf("events queued before the renewal were not published within %v", limit)
	}
}

// eventsFlushed is queued as an event; forwardEvents closes it when it
// comes, once every event before it is published.
type eventsFlushed chan struct{}

// TakeOver implements shimserver.Renewable: the tasks of the server's
// previous process, their processes adopted.
func (s *service) TakeOver(ctx context.Context, state []byte) error {
	var renewed []renewedTask
	if err := json.Unmarshal(state, &renewed); err != nil {
		return fmt.Errorf("decoding the tasks: %w", err)
	}
	var running []*shimTask
	s.mu.Lock()
	for _, rt := range renewed {
		t := &shimTask{id: rt.ID, bundle: rt.Bundle, stdin: rt.Stdin, stdout: rt.Stdout, stderr: rt.Stderr, appDir: rt.AppDir,
			appDirUsers: &appDirUsers{}, sandbox: rt.Sandbox, cgroupPath: rt.CgroupPath, pid: rt.Pid,
			exited: make(chan struct{}), state: stateStopped, exitStatus: rt.ExitStatus, exitedAt: rt.ExitedAt, oomKills: rt.OOMKills}
		var cg *taskCgroup
		if rt.CgroupPath != "" {
			var err error
			if cg, err = loadTaskCgroup(rt.CgroupPath); err != nil {
				log.G(ctx).WithError(err).WithField("id", rt.ID).Warn("the task's cgroup could not be loaded: its metrics are its process's")
			}
		}
		t.proc = adoptProcess(rt.Pid, cg, rt.Running)
		if rt.Running {
			t.state = stateRunning
			running = append(running, t)
		} else {
			close(t.exited)
		}
		s.tasks[t.id] = t
	}
	s.mu.Unlock()
	for _, rt := range renewed {
		log.G(ctx).WithFields(log.Fields{"id": rt.ID, "pid": rt.Pid, "running": rt.Running}).Debug("task taken over by the renewed shim server")
	}
	for _, t := range running {
		s.watchOOM(t)
		t.mu.Lock()
		s.publishOOM(t) // an OOM kill during the exec
		t.mu.Unlock()
		go s.watch(t)
	}
	return nil
}

// adoptedProcess is a task's process that a previous process of the
// server started: still its child, reaped by its reaper.
type adoptedProcess struct {
	pidNum int
	// handle signals the process by pidfd: never another process that
	// got its pid after it was reaped.
	handle *os.Process
	exits  chan runc.Exit // nil for a process that had exited
	cgroup *taskCgroup    // nil: the process's own
}

var _ process = (*adoptedProcess)(nil)

// adoptProcess adopts pid, subscribing to the reaper's exits if it runs.
func adoptProcess(pid int, cg *taskCgroup, running bool) *adoptedProcess {
	p := &adoptedProcess{pidNum: pid, cgroup: cg}
	if running {
		p.exits = reaper.Default.Subscribe()
		p.handle, _ = os.FindProcess(pid) // never fails on Unix
	}
	return p
}

func (p *adoptedProcess) pid() int { return p.pidNum }

func (p *adoptedProcess) start(context.Context) (string, error) {
	return "", errors.New("the process was started by the server's previous process")
}

func (p *adoptedProcess) kill(sig syscall.Signal) error {
	if p.handle == nil {
		return nil
	}
	if err := p.handle.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// wait returns the process's exit status once the reaper has reaped it.
func (p *adoptedProcess) wait() int {
	if p.exits == nil {
		return 255
	}
	defer reaper.Default.Unsubscribe(p.exits)
	for e := range p.exits {
		if e.Pid == p.pidNum {
			return e.Status
		}
	}
	return 255
}

func (p *adoptedProcess) closePipes() {}

func (p *adoptedProcess) oomKills() (uint64, error) { return p.cgroup.oomKillsIfAny() }

func (p *adoptedProcess) watchOOM(ctx context.Context, onEvent func()) error {
	return p.cgroup.watchOOMIfAny(ctx, onEvent)
}

func (p *adoptedProcess) metrics() (*anypb.Any, error) { return p.cgroup.metricsOf(p.pidNum) }

func (p *adoptedProcess) deleteCgroup() error { return p.cgroup.delete() }
