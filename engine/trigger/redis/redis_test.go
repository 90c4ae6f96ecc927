package redis

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// server is a redis-server on 127.0.0.1 with its own data dir.
type server struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServer starts redis-server on port (a free one when 0); it is
// stopped at the end of the test.
func startServer(t *testing.T, port int, dir string) *server {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (test/deps.sh installs it)")
	}
	if port == 0 {
		port = freePort(t)
	}
	if dir == "" {
		dir = t.TempDir()
	}
	cmd := exec.Command(path, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
		"--save", "", "--appendonly", "no", "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, port: port, dir: dir, cmd: cmd}
	t.Cleanup(s.stop)
	c := s.client()
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on port %d did not answer", port)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

func (s *server) url() string { return fmt.Sprintf("redis://127.0.0.1:%d", s.port) }

func (s *server) client() *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.port)})
}

func (s *server) stop() {
	if s.cmd.Process != nil && s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
}

// recorder is a Handler that records messages; block, when set, holds
// each call until closed.
type recorder struct {
	id    string
	got   chan string
	block chan struct{}
}

func newRecorder(id string) *recorder { return &recorder{id: id, got: make(chan string, 16)} }

func (r *recorder) Component() string { return r.id }

func (r *recorder) HandleMessage(_ context.Context, channel string, payload []byte) error {
	if r.block != nil {
		<-r.block
	}
	r.got <- channel + ":" + string(payload)
	return nil
}

func expectMessage(t *testing.T, r *recorder, want string) {
	t.Helper()
	select {
	case got := <-r.got:
		if got != want {
			t.Errorf("%s got %q, want %q", r.id, got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s got no message (want %q)", r.id, want)
	}
}

// TestTriggerDeliversAndReconnects: messages reach every handler of their
// channel and only those; after the server restarts the trigger
// resubscribes and delivers again; cancelling stops it.
func TestTriggerDeliversAndReconnects(t *testing.T) {
	srv := startServer(t, 0, "")
	a, b, other := newRecorder("a"), newRecorder("b"), newRecorder("other")
	subscribed := make(chan struct{}, 4)
	trig := &Trigger{
		Address:       srv.url(),
		Subscriptions: []Subscription{{"messages", a}, {"messages", b}, {"others", other}},
		Backoff:       Backoff{Min: 10 * time.Millisecond, Max: 200 * time.Millisecond},
		Subscribed:    func() { subscribed <- struct{}{} },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- trig.Run(ctx) }()
	waitSubscribed := func() {
		t.Helper()
		select {
		case <-subscribed:
		case <-time.After(15 * time.Second):
			t.Fatal("the trigger did not subscribe")
		}
	}
	waitSubscribed()
	pub := srv.client()
	if err := pub.Publish(ctx, "messages", "one").Err(); err != nil {
		t.Fatal(err)
	}
	expectMessage(t, a, "messages:one")
	expectMessage(t, b, "messages:one")
	if err := pub.Publish(ctx, "others", "two").Err(); err != nil {
		t.Fatal(err)
	}
	expectMessage(t, other, "others:two")
	pub.Close()

	// Restart the server on the same port: the trigger comes back.
	srv.stop()
	srv = startServer(t, srv.port, srv.dir)
	waitSubscribed()
	pub = srv.client()
	defer pub.Close()
	if err := pub.Publish(ctx, "messages", "three").Err(); err != nil {
		t.Fatal(err)
	}
	expectMessage(t, a, "messages:three")
	expectMessage(t, b, "messages:three")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// TestTriggerStopWaitsForHandlers: a stop lets the message being handled
// finish before Run returns.
func TestTriggerStopWaitsForHandlers(t *testing.T) {
	srv := startServer(t, 0, "")
	slow := newRecorder("slow")
	slow.block = make(chan struct{})
	subscribed := make(chan struct{}, 1)
	trig := &Trigger{Address: srv.url(), Subscriptions: []Subscription{{"jobs", slow}}, Subscribed: func() { subscribed <- struct{}{} }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- trig.Run(ctx) }()
	<-subscribed
	pub := srv.client()
	defer pub.Close()
	// Wait until the handler is running: the publish reports one receiver.
	if n, err := pub.Publish(context.Background(), "jobs", "work").Result(); err != nil || n != 1 {
		t.Fatalf("publish: %d, %v", n, err)
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned while a message was being handled")
	case <-time.After(200 * time.Millisecond):
	}
	close(slow.block)
	expectMessage(t, slow, "jobs:work")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the handler finished")
	}
}

// TestTriggerBadAddress: an unparsable address fails at once.
func TestTriggerBadAddress(t *testing.T) {
	trig := &Trigger{Address: "http://nowhere", Subscriptions: []Subscription{{"c", newRecorder("r")}}}
	if err := trig.Run(context.Background()); err == nil {
		t.Error("Run with an http:// address: no error")
	}
}
