package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/containerd/log"
	goredis "github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/engine"
	"github.com/spinoci/spinoci/test/servers"
	"github.com/spinoci/spinoci/test/testio"
)

// TestRedisAppTierUp runs a Redis-triggered app as the app process of a
// first start does (Load, Load of the triggers, Serve) on the Winch code
// its compile stage cached, against a real redis-server: it handles
// messages on that code and, once an optimising stage has cached the
// optimised code, moves to it while it serves, and goes on handling them.
func TestRedisAppTierUp(t *testing.T) {
	srv := servers.Redis(t)
	wasmPath := testApp(t, "redis-spin1")
	app := localApp(t, map[string]any{
		"spin_lock_version": 1,
		"metadata":          map[string]any{"name": "sub"},
		"triggers": []any{map[string]any{"id": "t", "trigger_type": "redis",
			"trigger_config": map[string]any{"component": "sub", "address": srv.RedisURL(), "channel": "ch"}}},
		"components": []any{map[string]any{"id": "sub",
			"source": map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(wasmPath)}}},
	})
	cache := t.TempDir()
	if _, err := engine.Precompile(context.Background(), app, nil, cache, engine.TierFast); err != nil {
		t.Fatal(err)
	}

	var logs, out testio.Buffer
	l := logrus.New()
	l.SetOutput(&logs)
	ctx, cancel := context.WithCancel(log.WithLogger(context.Background(), logrus.NewEntry(l)))
	defer cancel()
	eng, trig := loadApp(ctx, t, app, engine.Config{CacheDir: cache, CacheOnly: true, Stdout: &out})
	if !eng.RunsFastCode() {
		t.Fatal("RunsFastCode = false: the app did not load the Winch code")
	}
	served := make(chan int, 1)
	go func() { served <- trig.Serve(ctx, eng, nil) }()

	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer client.Close()
	publish := func(msg string) {
		t.Helper()
		want := "redis message: " + msg + "\n"
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q on the app's stdout:\n%s\nlog:\n%s", want, &out, &logs)
			}
			// Received by nobody until the trigger has subscribed.
			if n, err := client.Publish(ctx, "ch", msg).Result(); err == nil && n > 0 {
				for !strings.Contains(out.String(), want) && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				continue
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	publish("on winch")

	if _, err := engine.Precompile(context.Background(), app, nil, cache, engine.TierOptimized); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), `msg="serving the optimised code" component=sub`); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the trigger's component did not move to the optimised code; log:\n%s", &logs)
		}
	}
	publish("optimised 1")
	publish("optimised 2")

	cancel()
	select {
	case status := <-served:
		if status != 0 {
			t.Errorf("Serve: status %d, want 0", status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}
