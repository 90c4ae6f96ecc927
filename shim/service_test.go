package shim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types/task"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/shim/appdirs"
)

const (
	topicCreate = "/tasks/create"
	topicStart  = "/tasks/start"
	topicOOM    = "/tasks/oom"
	topicExit   = "/tasks/exit"
	topicDelete = "/tasks/delete"
)

// wantTopics fails unless the events' topics are want, in order.
func wantTopics(t *testing.T, evs []published, want ...string) {
	t.Helper()
	if got := topics(evs); !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// native is the error a client sees after the ttrpc boundary.
func native(err error) error { return errgrpc.ToNative(err) }

// TestTaskLifecycle: create → start → kill → wait → delete, with the state,
// the exit record and the events each step leaves.
func TestTaskLifecycle(t *testing.T) {
	h := newTaskHarness(t)
	bundle := h.bundle(nil)
	created, err := h.create("c1", bundle)
	if err != nil {
		t.Fatal(err)
	}
	proc := h.launcher.proc(t, 0)
	if created.Pid != uint32(proc.pid()) {
		t.Errorf("Create pid %d, want %d", created.Pid, proc.pid())
	}
	if rec, err := readTaskRecord(bundle); err != nil || rec.Pid != proc.pid() || rec.AppDir != h.appDir("c1") || rec.Exited {
		t.Errorf("task record after create: %+v, %v", rec, err)
	}
	state, err := h.svc.State(h.ctx, &taskAPI.StateRequest{ID: "c1"})
	if err != nil || state.Status != task.Status_CREATED || state.Pid != created.Pid || state.Bundle != bundle {
		t.Fatalf("State after create: %+v, %v", state, err)
	}

	started, err := h.svc.Start(h.ctx, &taskAPI.StartRequest{ID: "c1"})
	if err != nil || started.Pid != created.Pid {
		t.Fatalf("Start: %+v, %v", started, err)
	}
	if ok, _, _, _ := proc.state(); !ok {
		t.Error("Start did not start the process")
	}
	if state, _ := h.svc.State(h.ctx, &taskAPI.StateRequest{ID: "c1"}); state.GetStatus() != task.Status_RUNNING {
		t.Errorf("State after start: %v", state.GetStatus())
	}
	if _, err := h.svc.Start(h.ctx, &taskAPI.StartRequest{ID: "c1"}); !errdefs.IsFailedPrecondition(native(err)) {
		t.Errorf("second Start: got %v, want FailedPrecondition", err)
	}
	stats, err := h.svc.Stats(h.ctx, &taskAPI.StatsRequest{ID: "c1"})
	if err != nil || stats.Stats.GetTypeUrl() != "fake/metrics" {
		t.Errorf("Stats of a running task: %v, %v", stats, err)
	}
	if pids, err := h.svc.Pids(h.ctx, &taskAPI.PidsRequest{ID: "c1"}); err != nil || len(pids.Processes) != 1 || pids.Processes[0].Pid != created.Pid {
		t.Errorf("Pids: %v, %v", pids, err)
	}
	if conn, err := h.svc.Connect(h.ctx, &taskAPI.ConnectRequest{ID: "c1"}); err != nil || conn.TaskPid != created.Pid || conn.ShimPid != uint32(os.Getpid()) {
		t.Errorf("Connect: %v, %v", conn, err)
	}

	if _, err := h.svc.Kill(h.ctx, &taskAPI.KillRequest{ID: "c1", Signal: uint32(syscall.SIGTERM)}); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	waited, err := h.svc.Wait(ctx, &taskAPI.WaitRequest{ID: "c1"})
	if err != nil || waited.ExitStatus != 143 || waited.ExitedAt.AsTime().IsZero() {
		t.Fatalf("Wait: %+v, %v", waited, err)
	}
	state, _ = h.svc.State(h.ctx, &taskAPI.StateRequest{ID: "c1"})
	if state.GetStatus() != task.Status_STOPPED || state.GetExitStatus() != 143 || state.GetExitedAt() == nil {
		t.Errorf("State after exit: %+v", state)
	}
	if rec, err := readTaskRecord(bundle); err != nil || !rec.Exited || rec.ExitStatus != 143 || rec.Pid != proc.pid() {
		t.Errorf("task record after exit: %+v, %v", rec, err)
	}
	if _, err := h.svc.Kill(h.ctx, &taskAPI.KillRequest{ID: "c1", Signal: uint32(syscall.SIGKILL)}); !errdefs.IsNotFound(native(err)) {
		t.Errorf("Kill of an exited task: got %v, want NotFound", err)
	}
	if _, err := h.svc.Stats(h.ctx, &taskAPI.StatsRequest{ID: "c1"}); !errdefs.IsNotFound(native(err)) {
		t.Errorf("Stats of an exited task: got %v, want NotFound", err)
	}

	deleted, err := h.svc.Delete(h.ctx, &taskAPI.DeleteRequest{ID: "c1"})
	if err != nil || deleted.ExitStatus != 143 || deleted.Pid != created.Pid {
		t.Fatalf("Delete: %+v, %v", deleted, err)
	}
	if _, signals, pipesClosed, cgroupDeleted := proc.state(); !slices.Equal(signals, []syscall.Signal{syscall.SIGTERM}) || !pipesClosed || !cgroupDeleted {
		t.Errorf("process after delete: signals %v, pipes closed %v, cgroup deleted %v", signals, pipesClosed, cgroupDeleted)
	}
	if _, err := os.Stat(h.appDir("c1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("app directory after delete: %v", err)
	}
	if _, err := h.svc.State(h.ctx, &taskAPI.StateRequest{ID: "c1"}); !errdefs.IsNotFound(native(err)) {
		t.Errorf("State after delete: got %v, want NotFound", err)
	}

	// containerd sends Shutdown after every Delete; with no task left the
	// server stops, publishing what it has queued.
	if _, err := h.svc.Shutdown(h.ctx, &taskAPI.ShutdownRequest{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.shutdown.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown with no tasks left did not shut the server down")
	}
	evs := h.events()
	wantTopics(t, evs, topicCreate, topicStart, topicExit, topicDelete)
	if len(evs) == 4 {
		if e := evs[0].event.(*eventstypes.TaskCreate); e.ContainerID != "c1" || e.Pid != created.Pid || e.Bundle != bundle {
			t.Errorf("create event %+v", e)
		}
		if e := evs[2].event.(*eventstypes.TaskExit); e.ID != "c1" || e.Pid != created.Pid || e.ExitStatus != 143 {
			t.Errorf("exit event %+v", e)
		}
		if e := evs[3].event.(*eventstypes.TaskDelete); e.ID != "c1" || e.ExitStatus != 143 {
			t.Errorf("delete event %+v", e)
		}
	}
}

// TestShutdownKeepsServerWithTasks: Shutdown is ignored while a task
// remains.
func TestShutdownKeepsServerWithTasks(t *testing.T) {
	h := newTaskHarness(t)
	if _, err := h.create("c1", h.bundle(nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Shutdown(h.ctx, &taskAPI.ShutdownRequest{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.shutdown.Done():
		t.Error("the server shut down while it held a task")
	case <-time.After(100 * time.Millisecond):
	}
}

// TestDeleteCreatedTask: deleting a task that was never started kills its
// process and publishes its exit before the delete, and no start.
func TestDeleteCreatedTask(t *testing.T) {
	h := newTaskHarness(t)
	if _, err := h.create("c1", h.bundle(nil)); err != nil {
		t.Fatal(err)
	}
	type result struct {
		resp *taskAPI.DeleteResponse
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := h.svc.Delete(h.ctx, &taskAPI.DeleteRequest{ID: "c1"})
		done <- result{resp, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || r.resp.ExitStatus != 137 {
			t.Fatalf("Delete of a created task: %+v, %v", r.resp, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Delete of a created task did not end its process")
	}
	started, signals, _, cgroupDeleted := h.launcher.proc(t, 0).state()
	if started || !slices.Equal(signals, []syscall.Signal{syscall.SIGKILL}) || !cgroupDeleted {
		t.Errorf("process: started %v, signals %v, cgroup deleted %v", started, signals, cgroupDeleted)
	}
	if _, err := os.Stat(h.appDir("c1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("app directory after delete: %v", err)
	}
	wantTopics(t, h.events(), topicCreate, topicExit, topicDelete)
}

// TestOOMBeforeExit: when the OOM killer ends the app, /tasks/oom comes
// before /tasks/exit even if the memory event watch has not fired yet; an
// OOM kill the app survives is reported once, through the watch.
func TestOOMBeforeExit(t *testing.T) {
	for _, survivedOne := range []bool{false, true} {
		t.Run(fmt.Sprintf("earlier OOM survived %v", survivedOne), func(t *testing.T) {
			h := newTaskHarness(t)
			if _, err := h.create("c1", h.bundle(nil)); err != nil {
				t.Fatal(err)
			}
			if _, err := h.svc.Start(h.ctx, &taskAPI.StartRequest{ID: "c1"}); err != nil {
				t.Fatal(err)
			}
			proc := h.launcher.proc(t, 0)
			want := []string{topicCreate, topicStart}
			if survivedOne {
				proc.oomEvent()
				proc.memoryEvent() // no new kill: no second event
				want = append(want, topicOOM)
			}
			proc.oomKill()
			ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
			defer cancel()
			if waited, err := h.svc.Wait(ctx, &taskAPI.WaitRequest{ID: "c1"}); err != nil || waited.ExitStatus != 137 {
				t.Fatalf("Wait: %+v, %v", waited, err)
			}
			// The watch firing after the exit adds nothing.
			proc.memoryEvent()
			if _, err := h.svc.Delete(h.ctx, &taskAPI.DeleteRequest{ID: "c1"}); err != nil {
				t.Fatal(err)
			}
			want = append(want, topicOOM, topicExit, topicDelete)
			evs := h.events()
			wantTopics(t, evs, want...)
			for _, e := range evs {
				if oom, ok := e.event.(*eventstypes.TaskOOM); ok && oom.ContainerID != "c1" {
					t.Errorf("OOM event for %q", oom.ContainerID)
				}
			}
		})
	}
}

// TestWaitEndsWithItsContext: a Wait whose context ends returns the
// context's error class and leaves the task running; a later Wait sees the
// exit.
func TestWaitEndsWithItsContext(t *testing.T) {
	h := newTaskHarness(t)
	if _, err := h.create("c1", h.bundle(nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Start(h.ctx, &taskAPI.StartRequest{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(h.ctx)
	errs := make(chan error, 1)
	go func() {
		_, err := h.svc.Wait(cancelled, &taskAPI.WaitRequest{ID: "c1"})
		errs <- err
	}()
	cancel()
	select {
	case err := <-errs:
		if !errdefs.IsCanceled(native(err)) {
			t.Errorf("cancelled Wait: got %v, want Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return when its context was cancelled")
	}
	expiring, cancel := context.WithTimeout(h.ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := h.svc.Wait(expiring, &taskAPI.WaitRequest{ID: "c1"}); !errdefs.IsDeadlineExceeded(native(err)) {
		t.Errorf("Wait past its deadline: got %v, want DeadlineExceeded", err)
	}
	if state, _ := h.svc.State(h.ctx, &taskAPI.StateRequest{ID: "c1"}); state.GetStatus() != task.Status_RUNNING {
		t.Errorf("task after cancelled Waits: %v, want RUNNING", state.GetStatus())
	}
	h.launcher.proc(t, 0).exit(0)
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	if waited, err := h.svc.Wait(ctx, &taskAPI.WaitRequest{ID: "c1"}); err != nil || waited.ExitStatus != 0 {
		t.Errorf("Wait after exit: %+v, %v", waited, err)
	}
}

// TestConcurrentCreatesOfOneID: while a Create is under way, another
// Create of the same id fails with AlreadyExists and leaves the first one's
// app directory alone.
func TestConcurrentCreatesOfOneID(t *testing.T) {
	h := newTaskHarness(t)
	h.launcher.entered = make(chan struct{}, 1)
	h.launcher.gate = make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := h.create("c1", h.bundle(nil))
		first <- err
	}()
	select {
	case <-h.launcher.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first Create never reached its launch")
	}
	second := make(chan error, 1)
	go func() {
		_, err := h.create("c1", h.bundle(nil))
		second <- err
	}()
	select {
	case err := <-second:
		if !errdefs.IsAlreadyExists(native(err)) {
			t.Errorf("concurrent Create: got %v, want AlreadyExists", err)
		}
	case <-h.launcher.entered:
		close(h.launcher.gate)
		t.Fatal("a second launch of c1 began while the first Create was under way")
	case <-time.After(10 * time.Second):
		t.Fatal("the concurrent Create did not return")
	}
	if _, err := os.Stat(filepath.Join(h.appDir("c1"), "spin.lock")); err != nil {
		t.Errorf("the losing Create touched the winner's app directory: %v", err)
	}
	close(h.launcher.gate)
	if err := <-first; err != nil {
		t.Fatalf("first Create: %v", err)
	}
	if _, err := h.create("c1", h.bundle(nil)); !errdefs.IsAlreadyExists(native(err)) {
		t.Errorf("Create of an existing task: got %v, want AlreadyExists", err)
	}
	if n := len(h.launcher.launched()); n != 1 {
		t.Errorf("%d launches, want 1", n)
	}
	if got := h.images.materialized(); !slices.Equal(got, []string{"c1"}) {
		t.Errorf("materialised %q, want one c1", got)
	}
	wantTopics(t, h.events(), topicCreate)
}

// TestCreateFailures: a failed Create reaches the client with its errdefs
// class (named once, on the message's one line), is written to a CRI
// container's stderr, leaves no app directory and no task, publishes
// nothing, and frees the id.
func TestCreateFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		imageErr  error
		launchErr error
		spec      *specs.Spec
		want      func(error) bool
		wantClass string
	}{
		{name: "bad image", imageErr: errors.New("image x: no spin.lock layer"), want: errdefs.IsInvalidArgument, wantClass: "InvalidArgument"},
		{name: "container gone", imageErr: fmt.Errorf("looking up container: %w", errdefs.ErrNotFound), want: errdefs.IsNotFound, wantClass: "NotFound"},
		{name: "app fails to load", launchErr: fmt.Errorf("component x: bad import (%w)", errdefs.ErrInvalidArgument), want: errdefs.IsInvalidArgument, wantClass: "InvalidArgument"},
		{name: "shim failure", launchErr: errors.New("creating cgroup /x: permission denied"), want: func(err error) bool { return !errdefs.IsInvalidArgument(err) && err != nil }, wantClass: "not InvalidArgument"},
		{name: "user namespace", spec: &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.UserNamespace, Path: "/proc/1/ns/user"}}}}, want: errdefs.IsInvalidArgument, wantClass: "InvalidArgument"},
		{name: "bad cgroup path", spec: &specs.Spec{Linux: &specs.Linux{CgroupsPath: "a:b"}}, want: errdefs.IsInvalidArgument, wantClass: "InvalidArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newTaskHarness(t)
			h.images.err = tc.imageErr
			h.launcher.err = tc.launchErr
			logPath := filepath.Join(t.TempDir(), "stderr.log")
			_, err := h.svc.Create(h.ctx, &taskAPI.CreateTaskRequest{ID: "c1", Bundle: h.bundle(criSpec(tc.spec)), Stderr: "file://" + logPath})
			if !tc.want(native(err)) {
				t.Fatalf("Create: got %v, want %s", err, tc.wantClass)
			}
			assertOneLineOneClass(t, native(err))
			if logged, _ := os.ReadFile(logPath); !strings.HasPrefix(string(logged), "spinoci: ") {
				t.Errorf("container stderr %q, want the error", logged)
			}
			if _, err := os.Stat(h.appDir("c1")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("app directory after a failed create: %v", err)
			}
			if _, err := h.svc.State(h.ctx, &taskAPI.StateRequest{ID: "c1"}); !errdefs.IsNotFound(native(err)) {
				t.Errorf("State after a failed create: got %v, want NotFound", err)
			}
			h.images.err, h.launcher.err = nil, nil
			if _, err := h.create("c1", h.bundle(nil)); err != nil {
				t.Errorf("Create after a failed one: %v", err)
			}
			wantTopics(t, h.events(), topicCreate)
		})
	}
}

// TestStartFailure: an app that cannot start serving fails Start with
// FailedPrecondition, says why on a CRI container's stderr (only there: ctr
// prints the error itself) and ends stopped.
func TestStartFailure(t *testing.T) {
	for _, cri := range []bool{true, false} {
		t.Run(fmt.Sprintf("CRI %v", cri), func(t *testing.T) {
			h := newTaskHarness(t)
			h.launcher.configure = func(p *fakeProcess) {
				p.startErr = errors.New("listening on 0.0.0.0:80: address already in use")
			}
			bundle := h.bundle(nil)
			if cri {
				bundle = h.bundle(criSpec(nil))
			}
			logPath := filepath.Join(t.TempDir(), "stderr.log")
			if _, err := h.svc.Create(h.ctx, &taskAPI.CreateTaskRequest{ID: "c1", Bundle: bundle, Stderr: "file://" + logPath}); err != nil {
				t.Fatal(err)
			}
			_, err := h.svc.Start(h.ctx, &taskAPI.StartRequest{ID: "c1"})
			if !errdefs.IsFailedPrecondition(native(err)) || !strings.Contains(err.Error(), "address already in use") {
				t.Errorf("Start: got %v, want FailedPrecondition naming the cause", err)
			}
			assertOneLineOneClass(t, native(err))
			logged, _ := os.ReadFile(logPath)
			if got := strings.Count(string(logged), "address already in use"); cri && got != 1 || !cri && got != 0 {
				t.Errorf("container stderr %q (CRI %v)", logged, cri)
			}
			// Stopped, so that a Delete without a kill (containerd 1.7's ctr)
			// succeeds.
			if state, _ := h.svc.State(h.ctx, &taskAPI.StateRequest{ID: "c1"}); state.GetStatus() != task.Status_STOPPED {
				t.Errorf("task after a failed start: %v, want STOPPED", state.GetStatus())
			}
			if _, err := h.svc.Delete(h.ctx, &taskAPI.DeleteRequest{ID: "c1"}); err != nil {
				t.Errorf("Delete after a failed start: %v", err)
			}
			wantTopics(t, h.events(), topicCreate, topicExit, topicDelete)
		})
	}
}

// criSpec is spec (or a default one) as containerd's CRI plugin marks it.
func criSpec(spec *specs.Spec) *specs.Spec {
	if spec == nil {
		spec = &specs.Spec{Process: &specs.Process{Env: []string{"PATH=/"}}}
	}
	spec.Annotations = map[string]string{appdirs.ContainerTypeAnnotation: "container"}
	return spec
}

// assertOneLineOneClass fails unless the client's error is one line naming
// its errdefs class at most once (no status details printed as extra
// lines).
func assertOneLineOneClass(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans several lines: %q", msg)
	}
	for _, class := range []string{"invalid argument", "failed precondition", "not found"} {
		if strings.Count(msg, class) > 1 {
			t.Errorf("error names %q more than once: %q", class, msg)
		}
	}
}

// TestCreateLaunches: what Create hands the launcher for an app and for a
// pod's sandbox, which has no image.
func TestCreateLaunches(t *testing.T) {
	h := newTaskHarness(t)
	limit := int64(64 << 20)
	app := &specs.Spec{
		Hostname: "app-host",
		Process:  &specs.Process{Env: []string{"SPIN_HTTP_LISTEN_ADDR=127.0.0.1:3000"}},
		Linux: &specs.Linux{
			CgroupsPath: "/pod1/c1",
			Resources:   &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}},
			Namespaces:  []specs.LinuxNamespace{{Type: specs.UTSNamespace}, {Type: specs.NetworkNamespace, Path: "/proc/42/ns/net"}},
		},
	}
	appBundle := h.bundle(app)
	if _, err := h.create("c1", appBundle); err != nil {
		t.Fatal(err)
	}
	sandbox := &specs.Spec{Annotations: map[string]string{appdirs.ContainerTypeAnnotation: appdirs.ContainerTypeSandbox}, Linux: &specs.Linux{CgroupsPath: "/pod1/pause"}}
	sandboxBundle := h.bundle(sandbox)
	if _, err := h.create("pause1", sandboxBundle); err != nil {
		t.Fatal(err)
	}
	launches := h.launcher.launched()
	if len(launches) != 2 {
		t.Fatalf("%d launches, want 2", len(launches))
	}
	a, p := launches[0], launches[1]
	appDir := h.appDir("c1")
	if a.pause || a.lockPath != filepath.Join(appDir, "spin.lock") || a.dir != appDir ||
		a.cacheDir != filepath.Join(h.stateRoot, "cache") || a.stateDir != filepath.Join(appDir, "state") ||
		!slices.Equal(a.env, app.Process.Env) || a.cgroupPath != "/pod1/c1" || a.resources == nil || a.resources.Memory == nil || *a.resources.Memory.Limit != limit ||
		a.ns.hostname != "app-host" || len(a.ns.joins) != 1 || a.stdout == nil || a.stderr == nil {
		t.Errorf("app launch %+v", a)
	}
	if !p.pause || p.dir != sandboxBundle || p.lockPath != "" || p.cgroupPath != "/pod1/pause" {
		t.Errorf("sandbox launch %+v", p)
	}
	if got := h.images.materialized(); !slices.Equal(got, []string{"c1"}) {
		t.Errorf("materialised %q, want only the app's", got)
	}
	if rec, _ := readTaskRecord(appBundle); rec.Cgroup != "/pod1/c1" || rec.AppDir != appDir {
		t.Errorf("app record %+v", rec)
	}
	if rec, _ := readTaskRecord(sandboxBundle); rec.Cgroup != "/pod1/pause" || rec.AppDir != "" || rec.Pid != h.launcher.proc(t, 1).pid() {
		t.Errorf("sandbox record %+v", rec)
	}
}
