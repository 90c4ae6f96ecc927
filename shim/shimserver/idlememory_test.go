package shimserver

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// countingRelease is an idleMemory whose releases are sent on a channel
// instead of returning memory.
func countingRelease(delay time.Duration) (*idleMemory, <-chan struct{}) {
	released := make(chan struct{}, 16)
	return &idleMemory{delay: delay, release: func() { released <- struct{}{} }}, released
}

// expectReleases fails unless exactly n releases arrive within a few
// seconds and none more within twice the delay after the last.
func expectReleases(t *testing.T, released <-chan struct{}, n int, delay time.Duration) {
	t.Helper()
	for i := range n {
		select {
		case <-released:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d releases, want %d", i, n)
		}
	}
	select {
	case <-released:
		t.Fatalf("more than %d releases", n)
	case <-time.After(2 * delay):
	}
}

// TestIdleMemoryReleasesOnceAfterABurst: requests in quick succession
// release memory once, a delay after the last; a later request releases
// again.
func TestIdleMemoryReleasesOnceAfterABurst(t *testing.T) {
	// The burst takes ~50 ms: well within the delay even on a loaded machine.
	const delay = 500 * time.Millisecond
	m, released := countingRelease(delay)
	for range 5 {
		m.requestDone()
		time.Sleep(10 * time.Millisecond)
	}
	if len(released) != 0 {
		t.Fatalf("released during the burst")
	}
	expectReleases(t, released, 1, delay)
	m.requestDone()
	expectReleases(t, released, 1, delay)
}

// TestServerReleasesIdleMemoryAfterRequests: the server the task service
// is registered on arms the release after every request (whatever its
// result), and does nothing while nobody calls it.
func TestServerReleasesIdleMemoryAfterRequests(t *testing.T) {
	const delay = 200 * time.Millisecond
	idle, released := countingRelease(delay)
	server, err := newTTRPCServer(newConnSet(), func(string) { idle.requestDone() })
	if err != nil {
		t.Fatal(err)
	}
	server.RegisterService("test.Idle", &ttrpc.ServiceDesc{Methods: map[string]ttrpc.Method{
		"Ping": func(_ context.Context, unmarshal func(any) error) (any, error) {
			return &emptypb.Empty{}, unmarshal(&emptypb.Empty{})
		},
		"Fail": func(context.Context, func(any) error) (any, error) {
			return nil, context.DeadlineExceeded
		},
	}})
	l, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go server.Serve(ctx, l)
	defer server.Close()
	conn, err := net.Dial("unix", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client := ttrpc.NewClient(conn)
	defer client.Close()

	expectReleases(t, released, 0, delay)
	for range 3 {
		if err := client.Call(ctx, "test.Idle", "Ping", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	}
	expectReleases(t, released, 1, delay)
	if err := client.Call(ctx, "test.Idle", "Fail", &emptypb.Empty{}, &emptypb.Empty{}); err == nil {
		t.Fatal("Fail succeeded")
	}
	expectReleases(t, released, 1, delay)
}
