package redis

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spinoci/spinoci/engine/trigger/internal/triggertest"
	"github.com/spinoci/spinoci/test/servers"
)

func client(s *servers.Server) *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: s.Addr()})
}

// TestTriggerDeliversAndReconnects: messages reach every handler of their
// channel and only those; after the server restarts the trigger
// resubscribes and delivers again; cancelling stops it.
func TestTriggerDeliversAndReconnects(t *testing.T) {
	srv := servers.Redis(t)
	a, b, other := triggertest.NewRecorder("a"), triggertest.NewRecorder("b"), triggertest.NewRecorder("other")
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
	a.Expect(t, "messages:one")
	b.Expect(t, "messages:one")
	if err := pub.Publish(ctx, "others", "two").Err(); err != nil {
		t.Fatal(err)
	}
	other.Expect(t, "others:two")
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
	a.Expect(t, "messages:three")
	b.Expect(t, "messages:three")

	triggertest.Stop(t, cancel, done)
}

// TestTriggerStopWaitsForHandlers: a stop lets the message being handled
// finish before Run returns.
func TestTriggerStopWaitsForHandlers(t *testing.T) {
	srv := servers.Redis(t)
	slow := triggertest.NewRecorder("slow")
	slow.Block = make(chan struct{})
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
	close(slow.Block)
	slow.Expect(t, "jobs:work")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the handler finished")
	}
}

// TestTriggerBadAddress: an unparsable address fails at once.
func TestTriggerBadAddress(t *testing.T) {
	trig := &Trigger{Address: "http://nowhere", Subscriptions: []Subscription{{"c", triggertest.NewRecorder("r")}}}
	if err := trig.Run(context.Background()); err == nil {
		t.Error("Run with an http:// address: no error")
	}
}
