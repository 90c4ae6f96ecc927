package shim

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/shutdown"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/spinoci/spinoci/shim/appdirs"
	"github.com/spinoci/spinoci/shim/rendezvous"
)

// fakeImages is an image source that writes an empty lock, or fails with
// err.
type fakeImages struct {
	mu  sync.Mutex
	ids []string
	err error
}

func (i *fakeImages) MaterializeApp(_ context.Context, containerID, dir string, _ appdirs.FileSources) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.ids = append(i.ids, containerID)
	if i.err != nil {
		return i.err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "spin.lock"), []byte("{}"), 0o600)
}

func (i *fakeImages) materialized() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]string(nil), i.ids...)
}

// fakeLauncher hands out fakeProcesses (pids 1000, 1001, …) or fails with
// err. With gate set, each launch first tells entered and then waits until
// gate is closed.
type fakeLauncher struct {
	err     error
	entered chan struct{}
	gate    chan struct{}
	// configure, if set, adjusts each process before it is returned.
	configure func(*fakeProcess)

	mu       sync.Mutex
	launches []appLaunch
	procs    []*fakeProcess
}

func (l *fakeLauncher) launch(_ context.Context, a appLaunch) (process, error) {
	if l.gate != nil {
		l.entered <- struct{}{}
		<-l.gate
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.launches = append(l.launches, a)
	if l.err != nil {
		return nil, l.err
	}
	p := &fakeProcess{pidN: 1000 + len(l.procs), addr: "127.0.0.1:3000", done: make(chan struct{})}
	if l.configure != nil {
		l.configure(p)
	}
	l.procs = append(l.procs, p)
	return p, nil
}

// proc returns the i-th process launched.
func (l *fakeLauncher) proc(t *testing.T, i int) *fakeProcess {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if i >= len(l.procs) {
		t.Fatalf("process %d was never launched (%d were)", i, len(l.procs))
	}
	return l.procs[i]
}

func (l *fakeLauncher) launched() []appLaunch {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]appLaunch(nil), l.launches...)
}

// fakeProcess exits when a terminating signal is sent or exit is called.
type fakeProcess struct {
	pidN     int
	addr     string
	startErr error

	mu            sync.Mutex
	started       bool
	signals       []syscall.Signal
	ooms          uint64
	onOOM         func()
	pipesClosed   bool
	cgroupDeleted bool

	exitOnce   sync.Once
	exitStatus int
	done       chan struct{}
}

func (p *fakeProcess) pid() int { return p.pidN }

func (p *fakeProcess) start(context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.startErr != nil {
		return "", p.startErr
	}
	p.started = true
	return p.addr, nil
}

func (p *fakeProcess) kill(sig syscall.Signal) error {
	p.mu.Lock()
	p.signals = append(p.signals, sig)
	p.mu.Unlock()
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGKILL:
		p.exit(128 + int(sig))
	}
	return nil
}

// exit ends the process with status; only the first call counts.
func (p *fakeProcess) exit(status int) {
	p.exitOnce.Do(func() {
		p.exitStatus = status
		close(p.done)
	})
}

// oomKill is the kernel's OOM killer striking: the cgroup's count grows
// and the process dies of SIGKILL; the memory event watch is not told (it
// may lag behind the exit).
func (p *fakeProcess) oomKill() {
	p.mu.Lock()
	p.ooms++
	p.mu.Unlock()
	p.exit(128 + int(syscall.SIGKILL))
}

// oomEvent is an OOM kill that the process survives (a child of it was
// chosen), reported through the memory event watch.
func (p *fakeProcess) oomEvent() {
	p.mu.Lock()
	p.ooms++
	p.mu.Unlock()
	p.memoryEvent()
}

// memoryEvent fires the memory event watch without a new OOM kill.
func (p *fakeProcess) memoryEvent() {
	p.mu.Lock()
	onOOM := p.onOOM
	p.mu.Unlock()
	if onOOM != nil {
		onOOM()
	}
}

func (p *fakeProcess) wait() int {
	<-p.done
	return p.exitStatus
}

func (p *fakeProcess) closePipes() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pipesClosed = true
}

func (p *fakeProcess) oomKills() (uint64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ooms, nil
}

func (p *fakeProcess) watchOOM(_ context.Context, onEvent func()) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onOOM = onEvent
	return nil
}

func (p *fakeProcess) metrics() (*anypb.Any, error) {
	return &anypb.Any{TypeUrl: "fake/metrics", Value: []byte{byte(p.pidN)}}, nil
}

func (p *fakeProcess) deleteCgroup() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cgroupDeleted = true
	return nil
}

func (p *fakeProcess) state() (started bool, signals []syscall.Signal, pipesClosed, cgroupDeleted bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started, append([]syscall.Signal(nil), p.signals...), p.pipesClosed, p.cgroupDeleted
}

// published is one event as the publisher received it.
type published struct {
	topic string
	event any
}

// fakePublisher records events; Close (called once the service has shut
// down and drained its queue) closes closed.
type fakePublisher struct {
	mu     sync.Mutex
	events []published
	closed chan struct{}
}

func (p *fakePublisher) Publish(_ context.Context, topic string, event any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, published{topic, event})
	return nil
}

func (p *fakePublisher) Close() error {
	close(p.closed)
	return nil
}

// taskHarness is a task service wired to fakes: no containerd, no child
// processes, no root.
type taskHarness struct {
	t        *testing.T
	ctx      context.Context
	svc      *service
	images   *fakeImages
	launcher *fakeLauncher
	pub      *fakePublisher
	shutdown shutdown.Service
	// background is the server's work that may outlast its tasks: idle
	// unless a test makes it busy.
	background *fakeBackground
	// stateRoot holds the app directories.
	stateRoot string
}

const testNamespace = "testns"

func newTaskHarness(t *testing.T) *taskHarness {
	t.Helper()
	h := &taskHarness{
		t:          t,
		ctx:        namespaces.WithNamespace(context.Background(), testNamespace),
		images:     &fakeImages{},
		launcher:   &fakeLauncher{},
		pub:        &fakePublisher{closed: make(chan struct{})},
		background: &fakeBackground{finished: make(chan struct{})},
		stateRoot:  t.TempDir(),
	}
	t.Setenv(appdirs.StateRootEnv, h.stateRoot)
	t.Setenv(appdirs.CacheDirEnv, "")
	t.Setenv(rendezvous.AddressEnv, "")
	_, h.shutdown = shutdown.WithShutdown(h.ctx)
	svc, err := newService(h.ctx, h.pub, h.shutdown, h.images, h.launcher, h.background)
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	t.Cleanup(h.shutdown.Shutdown)
	return h
}

// bundle writes spec (nil: an app container with no namespaces) as a
// bundle's config.json.
func (h *taskHarness) bundle(spec *specs.Spec) string {
	h.t.Helper()
	if spec == nil {
		spec = &specs.Spec{Process: &specs.Process{Env: []string{"PATH=/"}}}
	}
	dir := h.t.TempDir()
	data, err := json.Marshal(spec)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
		h.t.Fatal(err)
	}
	return dir
}

func (h *taskHarness) create(id, bundle string) (*taskAPI.CreateTaskResponse, error) {
	return h.svc.Create(h.ctx, &taskAPI.CreateTaskRequest{ID: id, Bundle: bundle})
}

func (h *taskHarness) appDir(id string) string {
	return appdirs.StateRootFor("").AppDir(testNamespace, id)
}

// events shuts the service down and returns everything it published.
func (h *taskHarness) events() []published {
	h.t.Helper()
	h.shutdown.Shutdown()
	select {
	case <-h.pub.closed:
	case <-time.After(10 * time.Second):
		h.t.Fatal("the publisher was not closed within 10s of shutdown")
	}
	h.pub.mu.Lock()
	defer h.pub.mu.Unlock()
	return append([]published(nil), h.pub.events...)
}

// topics are the events' topics in order.
func topics(evs []published) []string {
	var ts []string
	for _, e := range evs {
		ts = append(ts, e.topic)
	}
	return ts
}
