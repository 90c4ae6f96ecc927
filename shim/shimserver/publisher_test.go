package shimserver

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	eventsapi "github.com/containerd/containerd/api/services/ttrpc/events/v1"
	"github.com/containerd/containerd/api/types"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/ttrpc"
	"github.com/containerd/typeurl/v2"
	"google.golang.org/protobuf/types/known/emptypb"
)

// eventsServer is containerd's ttrpc event service as the shim sees it:
// it records the envelopes forwarded to it and counts connections.
type eventsServer struct {
	path string

	mu        sync.Mutex
	envelopes []*types.Envelope
	accepted  int
	conns     []net.Conn
	server    *ttrpc.Server
}

func startEventsServer(t *testing.T) *eventsServer {
	t.Helper()
	e := &eventsServer{path: filepath.Join(t.TempDir(), "containerd.sock.ttrpc")}
	e.listen(t)
	t.Cleanup(func() { e.stop() })
	return e
}

func (e *eventsServer) listen(t *testing.T) {
	t.Helper()
	server, err := ttrpc.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	eventsapi.RegisterTTRPCEventsService(server, e)
	l, err := net.Listen("unix", e.path)
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.server = server
	e.mu.Unlock()
	go func() { _ = server.Serve(context.Background(), countingListener{l, e}) }()
}

// stop ends the server and its connections, as containerd's exit does.
func (e *eventsServer) stop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	_ = e.server.Close()
	for _, c := range e.conns {
		_ = c.Close()
	}
	e.conns = nil
}

func (e *eventsServer) Forward(_ context.Context, r *eventsapi.ForwardRequest) (*emptypb.Empty, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.envelopes = append(e.envelopes, r.Envelope)
	return &emptypb.Empty{}, nil
}

func (e *eventsServer) received() ([]*types.Envelope, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*types.Envelope(nil), e.envelopes...), e.accepted
}

type countingListener struct {
	net.Listener
	e *eventsServer
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.e.mu.Lock()
		l.e.accepted++
		l.e.conns = append(l.e.conns, c)
		l.e.mu.Unlock()
	}
	return c, err
}

func TestPublisherForwardsEnvelopes(t *testing.T) {
	e := startEventsServer(t)
	p := NewPublisher("unix://" + e.path)
	defer p.Close()
	ctx := namespaces.WithNamespace(context.Background(), "k8s.io")
	if err := p.Publish(ctx, "/tasks/start", &eventstypes.TaskStart{ContainerID: "c1", Pid: 7}); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(ctx, "/tasks/exit", &eventstypes.TaskExit{ContainerID: "c1", ExitStatus: 3}); err != nil {
		t.Fatal(err)
	}
	envs, conns := e.received()
	if len(envs) != 2 || conns != 1 {
		t.Fatalf("got %d envelopes over %d connections, want 2 over 1", len(envs), conns)
	}
	if envs[0].Namespace != "k8s.io" || envs[0].Topic != "/tasks/start" || envs[0].Timestamp.AsTime().IsZero() {
		t.Errorf("envelope %v", envs[0])
	}
	ev, err := typeurl.UnmarshalAny(envs[1].Event)
	if err != nil {
		t.Fatalf("containerd cannot decode the event: %v", err)
	}
	if exit, ok := ev.(*eventstypes.TaskExit); !ok || exit.ContainerID != "c1" || exit.ExitStatus != 3 {
		t.Errorf("event %#v, want the TaskExit sent", ev)
	}
}

// TestPublisherReconnects: the connection goes once idle and after
// containerd restarts; the next event connects again.
func TestPublisherReconnects(t *testing.T) {
	e := startEventsServer(t)
	p := NewPublisher(e.path)
	p.idleTimeout = 20 * time.Millisecond
	defer p.Close()
	ctx := namespaces.WithNamespace(context.Background(), "default")
	publish := func() {
		t.Helper()
		if err := p.Publish(ctx, "/tasks/create", &eventstypes.TaskCreate{ContainerID: "c1"}); err != nil {
			t.Fatal(err)
		}
	}
	publish()
	time.Sleep(200 * time.Millisecond)
	publish()
	if envs, conns := e.received(); len(envs) != 2 || conns != 2 {
		t.Fatalf("after an idle pause: %d envelopes over %d connections, want 2 over 2", len(envs), conns)
	}

	p.idleTimeout = time.Hour
	publish()
	e.stop() // containerd restarts
	e.listen(t)
	publish()
	if envs, conns := e.received(); len(envs) != 4 || conns != 3 {
		t.Fatalf("after a restart: %d envelopes over %d connections, want 4 over 3", len(envs), conns)
	}
}

func TestPublisherGivesUp(t *testing.T) {
	p := NewPublisher(filepath.Join(t.TempDir(), "gone.sock"))
	ctx := namespaces.WithNamespace(context.Background(), "default")
	err := p.Publish(ctx, "/tasks/exit", &eventstypes.TaskExit{ContainerID: "c1"})
	if err == nil || !strings.Contains(err.Error(), "gone.sock") || !strings.Contains(err.Error(), "/tasks/exit") {
		t.Errorf("got %v, want an error naming the event and containerd's address", err)
	}
	if err := p.Publish(context.Background(), "/tasks/exit", &eventstypes.TaskExit{}); err == nil {
		t.Error("published without a namespace")
	}
}
