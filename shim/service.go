package shim

import (
	"context"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/protobuf"
	ptypes "github.com/containerd/containerd/v2/pkg/protobuf/types"
	"github.com/containerd/containerd/v2/pkg/shutdown"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"

	"github.com/spinoci/spinoci/shim/appdirs"
	"github.com/spinoci/spinoci/shim/rendezvous"
	"github.com/spinoci/spinoci/shim/shimserver"
)

// imageSource materialises the app of a container, from the image it was
// created from, into a directory; nothing is left there on failure. The
// directory's files are links into the node's file store at storeDir.
type imageSource interface {
	MaterializeApp(ctx context.Context, containerID, dir string, files appdirs.FileSources) error
}

// launcher starts a task's child process and returns once it is ready to
// start (an app: loaded and compiled). Errors caused by the app are marked
// errdefs.ErrInvalidArgument; nothing is left running on error.
type launcher interface {
	launch(ctx context.Context, l appLaunch) (process, error)
}

// service is the task API v3 of one shim server, holding every container of
// its group (one pod under CRI).
type service struct {
	ctx       context.Context // carries the namespace, for events
	namespace string
	publisher eventPublisher
	shutdown  shutdown.Service
	images    imageSource
	launcher  launcher
	events    chan any
	// stopEvents tells forwardEvents to drain the queue and stop;
	// eventsDone is closed once it has.
	stopEvents, eventsDone chan struct{}

	// background is the work that may outlast the tasks (see linger.go);
	// removeSocket unlinks the server's socket (nil: not ours to remove).
	background   backgroundWork
	lingerLimit  time.Duration
	removeSocket func()
	// serverLog is where the server's own log goes (nil: nowhere to move).
	serverLog serverLog

	mu    sync.Mutex
	tasks map[string]*shimTask
	// creating holds the ids whose Create is under way.
	creating map[string]bool
	// closing is set once Shutdown has found no task left.
	closing bool
}

var _ taskAPI.TTRPCTaskService = (*service)(nil)

// newService returns the task service of a shim server. ctx carries the
// namespace; publisher receives the task events, in order; background is
// what the server lets finish after its last task (nil: nothing).
func newService(ctx context.Context, publisher eventPublisher, sd shutdown.Service, images imageSource, launch launcher, background backgroundWork) (*service, error) {
	ns, err := namespaces.NamespaceRequired(ctx)
	if err != nil {
		return nil, fmt.Errorf("shim namespace: %w", err)
	}
	s := &service{
		ctx:         ctx,
		namespace:   ns,
		publisher:   publisher,
		shutdown:    sd,
		images:      images,
		launcher:    launch,
		background:  background,
		lingerLimit: defaultLingerLimit,
		events:      make(chan any, 128),
		// The shim exits once shutdown's callbacks have run: the last
		// events (a task's delete) must be published by then.
		stopEvents: make(chan struct{}),
		eventsDone: make(chan struct{}),
		tasks:      make(map[string]*shimTask),
		creating:   make(map[string]bool),
	}
	go s.forwardEvents()
	sd.RegisterCallback(func(ctx context.Context) error {
		close(s.stopEvents)
		select {
		case <-s.eventsDone:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("publishing the last events: %w", ctx.Err())
		}
	})
	if addr := os.Getenv(rendezvous.AddressEnv); addr != "" {
		s.removeSocket = socketRemover(ctx, addr)
		sd.RegisterCallback(func(context.Context) error {
			s.removeSocket()
			return nil
		})
	}
	return s, nil
}

// RegisterTTRPC implements shimserver.TaskService: task API v3 for
// containerd 2.x and v2 for containerd 1.7.
func (s *service) RegisterTTRPC(server shimserver.Registrar) error {
	shimserver.RegisterTaskAPI(server, s)
	return nil
}

// forwardEvents publishes events one at a time, in the order they were
// queued, so that create, start, exit and delete reach containerd in order.
func (s *service) forwardEvents() {
	ctx := context.WithoutCancel(s.ctx)
	defer close(s.eventsDone)
	defer s.publisher.Close()
	publish := func(e any) {
		if flushed, ok := e.(eventsFlushed); ok {
			close(flushed)
			return
		}
		if err := s.publisher.Publish(ctx, topicOf(e), e); err != nil {
			log.G(ctx).WithError(err).Error("publishing event")
		}
	}
	for {
		select {
		case e := <-s.events:
			publish(e)
		case <-s.stopEvents:
			for {
				select {
				case e := <-s.events:
					publish(e)
				default:
					return
				}
			}
		}
	}
}

func (s *service) get(id string) (*shimTask, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[id]
	if !ok {
		return nil, errNoTask(id)
	}
	return t, nil
}

// Create materialises the container's app from containerd's content store
// and starts its app process, which loads and compiles it; any failure is
// returned to the client and logged (reportStartFailure).
func (s *service) Create(ctx context.Context, r *taskAPI.CreateTaskRequest) (_ *taskAPI.CreateTaskResponse, retErr error) {
	if r.Terminal {
		return nil, toAPI(fmt.Errorf("task %q: a terminal is not supported by spinoci: %w", r.ID, errdefs.ErrInvalidArgument))
	}
	if r.Checkpoint != "" || r.ParentCheckpoint != "" {
		return nil, toAPI(fmt.Errorf("task %q: checkpoints are not supported by spinoci: %w", r.ID, errdefs.ErrNotImplemented))
	}
	// Reserve the id while the task is built, so that a concurrent Create
	// of the same id fails instead of sharing (and then removing) its app
	// directory.
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil, toAPI(fmt.Errorf("task %q: the shim server is shutting down: %w", r.ID, errdefs.ErrUnavailable))
	}
	if _, exists := s.tasks[r.ID]; exists || s.creating[r.ID] {
		s.mu.Unlock()
		return nil, toAPI(fmt.Errorf("task %q: %w", r.ID, errdefs.ErrAlreadyExists))
	}
	s.creating[r.ID] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.creating, r.ID)
		s.mu.Unlock()
	}()

	out, err := openStdio(ctx, r.Stdout, r.Stderr)
	if err != nil {
		return nil, toAPI(fmt.Errorf("task %q: %w", r.ID, err))
	}
	root := appdirs.StateRootFor(r.Bundle)
	appDir := root.AppDir(s.namespace, r.ID)
	defer func() {
		if retErr != nil {
			reportStartFailure(ctx, r.ID, r.Bundle, out, retErr)
			out.Close()
			if err := os.RemoveAll(appDir); err != nil {
				log.G(ctx).WithError(err).Warn("removing app directory after a failed create")
			}
			collectFileStore(ctx, root.FileStoreDir())
			retErr = toAPI(retErr)
		}
	}()

	t, err := s.create(ctx, r, out, root, appDir)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.tasks[r.ID] = t
	s.events <- &eventstypes.TaskCreate{
		ContainerID: r.ID,
		Bundle:      r.Bundle,
		Rootfs:      r.Rootfs,
		IO:          &eventstypes.TaskIO{Stdin: r.Stdin, Stdout: r.Stdout, Stderr: r.Stderr, Terminal: r.Terminal},
		Pid:         uint32(t.pid),
	}
	heir := s.logHeirLocked(t.bundle)
	s.mu.Unlock()
	if heir != "" {
		s.moveLog(ctx, heir)
	}
	s.watchOOM(t)
	go s.watch(t)
	return &taskAPI.CreateTaskResponse{Pid: uint32(t.pid)}, nil
}

// watch waits for the app process to exit, records the exit and publishes
// it. Taking the task lock orders the exit event after a start event that
// Start may be publishing.
func (s *service) watch(t *shimTask) {
	status := t.proc.wait()
	t.mu.Lock()
	s.publishOOM(t)
	t.exitStatus = status
	t.exitedAt = time.Now()
	if err := t.transition(stateStopped); err != nil {
		log.G(s.ctx).WithError(err).Error("recording task exit")
	}
	rec := taskRecord{Pid: t.pid, AppDir: t.appDir, Cgroup: t.cgroupPath, Exited: true, ExitStatus: status, ExitedAt: t.exitedAt}
	if err := writeTaskRecord(t.bundle, rec); err != nil {
		log.G(s.ctx).WithError(err).Warn("persisting exit status")
	}
	t.proc.closePipes()
	t.io.Close()
	close(t.exited)
	s.events <- &eventstypes.TaskExit{
		ContainerID: t.id,
		ID:          t.id,
		Pid:         uint32(t.pid),
		ExitStatus:  uint32(status),
		ExitedAt:    protobuf.ToTimestamp(t.exitedAt),
	}
	t.mu.Unlock()
}

// Start tells the app process to serve and waits until it listens.
func (s *service) Start(ctx context.Context, r *taskAPI.StartRequest) (*taskAPI.StartResponse, error) {
	if r.ExecID != "" {
		return nil, toAPI(fmt.Errorf("exec processes are not supported by spinoci: %w", errdefs.ErrNotImplemented))
	}
	t, err := s.get(r.ID)
	if err != nil {
		return nil, toAPI(err)
	}
	t.mu.Lock()
	if t.state != stateCreated {
		t.mu.Unlock()
		return nil, toAPI(fmt.Errorf("task %q: cannot start a %s task: %w", t.id, t.state, errdefs.ErrFailedPrecondition))
	}
	addr, err := t.proc.start(ctx)
	if err != nil {
		t.mu.Unlock()
		// The app could not start serving (bind error, app gone): the task
		// cannot run as created.
		err = fmt.Errorf("task %q: %w: %w", t.id, err, errdefs.ErrFailedPrecondition)
		reportStartFailure(ctx, t.id, t.bundle, t.io, err)
		stopFailedStart(ctx, t)
		return nil, toAPI(err)
	}
	defer t.mu.Unlock()
	if err := t.transition(stateRunning); err != nil {
		return nil, toAPI(err)
	}
	log.G(ctx).WithFields(log.Fields{"id": t.id, "address": addr}).Info("app started")
	s.events <- &eventstypes.TaskStart{ContainerID: t.id, Pid: uint32(t.pid)}
	return &taskAPI.StartResponse{Pid: uint32(t.pid)}, nil
}

// Kill delivers a real signal to the app process.
func (s *service) Kill(ctx context.Context, r *taskAPI.KillRequest) (*ptypes.Empty, error) {
	if r.ExecID != "" {
		return nil, toAPI(fmt.Errorf("exec process %q: %w", r.ExecID, errdefs.ErrNotFound))
	}
	t, err := s.get(r.ID)
	if err != nil {
		return nil, toAPI(err)
	}
	if state, _, _ := t.snapshot(); state == stateStopped || state == stateDeleted {
		return nil, toAPI(fmt.Errorf("task %q: process already finished: %w", t.id, errdefs.ErrNotFound))
	}
	if err := t.proc.kill(syscall.Signal(r.Signal)); err != nil {
		return nil, toAPI(fmt.Errorf("task %q: sending signal %d: %w", t.id, r.Signal, err))
	}
	return &ptypes.Empty{}, nil
}

// Wait blocks until the task has exited.
func (s *service) Wait(ctx context.Context, r *taskAPI.WaitRequest) (*taskAPI.WaitResponse, error) {
	if r.ExecID != "" {
		return nil, toAPI(fmt.Errorf("exec process %q: %w", r.ExecID, errdefs.ErrNotFound))
	}
	t, err := s.get(r.ID)
	if err != nil {
		return nil, toAPI(err)
	}
	select {
	case <-t.exited:
	case <-ctx.Done():
		return nil, toAPI(ctx.Err())
	}
	_, status, at := t.snapshot()
	return &taskAPI.WaitResponse{ExitStatus: uint32(status), ExitedAt: protobuf.ToTimestamp(at)}, nil
}

// State reports the task's status.
func (s *service) State(ctx context.Context, r *taskAPI.StateRequest) (*taskAPI.StateResponse, error) {
	if r.ExecID != "" {
		return nil, toAPI(fmt.Errorf("exec process %q: %w", r.ExecID, errdefs.ErrNotFound))
	}
	t, err := s.get(r.ID)
	if err != nil {
		return nil, toAPI(err)
	}
	state, status, at := t.snapshot()
	resp := &taskAPI.StateResponse{
		ID:         t.id,
		Bundle:     t.bundle,
		Pid:        uint32(t.pid),
		Status:     state.apiStatus(),
		Stdin:      t.stdin,
		Stdout:     t.stdout,
		Stderr:     t.stderr,
		ExitStatus: uint32(status),
	}
	if state == stateStopped {
		resp.ExitedAt = protobuf.ToTimestamp(at)
	}
	return resp, nil
}

// Delete removes a stopped task (a created one is killed first) and its
// app directory.
func (s *service) Delete(ctx context.Context, r *taskAPI.DeleteRequest) (*taskAPI.DeleteResponse, error) {
	if r.ExecID != "" {
		return nil, toAPI(fmt.Errorf("exec process %q: %w", r.ExecID, errdefs.ErrNotFound))
	}
	t, err := s.get(r.ID)
	if err != nil {
		return nil, toAPI(err)
	}
	if state, _, _ := t.snapshot(); state == stateCreated {
		// Never started: there is nothing to drain.
		_ = t.proc.kill(syscall.SIGKILL)
		<-t.exited
	}
	t.mu.Lock()
	if err := t.transition(stateDeleted); err != nil {
		t.mu.Unlock()
		return nil, toAPI(err)
	}
	status, at := t.exitStatus, t.exitedAt
	t.mu.Unlock()
	if t.appDir != "" {
		if !t.appDirUsers.wait(ctx, appDirUsersLimit) {
			log.G(ctx).WithField("id", t.id).Warn("removing the app directory while an optimising compile stage may still read it")
		}
		if err := os.RemoveAll(t.appDir); err != nil {
			log.G(ctx).WithError(err).WithField("id", t.id).Warn("removing app directory")
		}
		collectFileStore(ctx, appdirs.StateRootFor(t.bundle).FileStoreDir())
	}
	if t.stopOOMWatch != nil {
		t.stopOOMWatch()
	}
	if err := t.proc.deleteCgroup(); err != nil {
		log.G(ctx).WithError(err).WithField("id", t.id).Warn("removing cgroup")
	}
	s.mu.Lock()
	delete(s.tasks, t.id)
	s.events <- &eventstypes.TaskDelete{
		ContainerID: t.id,
		ID:          t.id,
		Pid:         uint32(t.pid),
		ExitStatus:  uint32(status),
		ExitedAt:    protobuf.ToTimestamp(at),
	}
	heir := s.logHeirLocked("")
	s.mu.Unlock()
	if heir != "" {
		s.moveLog(ctx, heir)
	}
	return &taskAPI.DeleteResponse{Pid: uint32(t.pid), ExitStatus: uint32(status), ExitedAt: protobuf.ToTimestamp(at)}, nil
}

// Pids lists the task's one process.
func (s *service) Pids(ctx context.Context, r *taskAPI.PidsRequest) (*taskAPI.PidsResponse, error) {
	t, err := s.get(r.ID)
	if err != nil {
		return nil, toAPI(err)
	}
	return &taskAPI.PidsResponse{Processes: []*task.ProcessInfo{{Pid: uint32(t.pid)}}}, nil
}

// Connect returns the shim's and the task's pids.
func (s *service) Connect(ctx context.Context, r *taskAPI.ConnectRequest) (*taskAPI.ConnectResponse, error) {
	resp := &taskAPI.ConnectResponse{ShimPid: uint32(os.Getpid()), Version: Version}
	if t, err := s.get(r.ID); err == nil {
		resp.TaskPid = uint32(t.pid)
	}
	return resp, nil
}

// Shutdown stops the server once it holds no more tasks; containerd sends
// it after every Delete. Background work still running (an optimising
// compile stage) is let finish first (linger).
func (s *service) Shutdown(ctx context.Context, r *taskAPI.ShutdownRequest) (*ptypes.Empty, error) {
	s.mu.Lock()
	last := len(s.tasks) == 0 && len(s.creating) == 0 && !s.closing
	if last {
		s.closing = true
	}
	s.mu.Unlock()
	if last {
		s.linger()
	}
	return &ptypes.Empty{}, nil
}

// Stats returns the cgroup metrics of the app process.
func (s *service) Stats(ctx context.Context, r *taskAPI.StatsRequest) (*taskAPI.StatsResponse, error) {
	t, err := s.get(r.ID)
	if err != nil {
		return nil, toAPI(err)
	}
	if state, _, _ := t.snapshot(); state != stateCreated && state != stateRunning {
		return nil, toAPI(fmt.Errorf("task %q is not running: %w", t.id, errdefs.ErrNotFound))
	}
	stats, err := t.proc.metrics()
	if err != nil {
		return nil, toAPI(fmt.Errorf("task %q: %w", t.id, err))
	}
	return &taskAPI.StatsResponse{Stats: stats}, nil
}
