package redis

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spinoci/spinoci/test/servers"
)

// recorder is a Handler that records messages; block, when set, holds
// each call until closed.
type recorder struct {
	id    string
	got   chan string
	block chan struct{}
}

func client(s *servers.Server) *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: s.Addr()})
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
	srv := servers.Redis(t)
	a, b, other := newRecorder("a"), newRecorder("b"), newRecorder("other")
	subscribed := make(chan struct{}, 4)
	trig := &Trigger{
		Address:       srv.RedisURL(),
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
	pub := client(srv)
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
	srv.Stop()
	srv.Start()
	waitSubscribed()
	pub = client(srv)
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
	srv := servers.Redis(t)
	slow := newRecorder("slow")
	slow.block = make(chan struct{})
	subscribed := make(chan struct{}, 1)
	trig := &Trigger{Address: srv.RedisURL(), Subscriptions: []Subscription{{"jobs", slow}}, Subscribed: func() { subscribed <- struct{}{} }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- trig.Run(ctx) }()
	<-subscribed
	pub := client(srv)
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
