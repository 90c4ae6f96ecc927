package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/spinoci/spinoci/test/servers"
	"github.com/spinoci/spinoci/test/testio"
	"github.com/spinoci/spinoci/test/testwasm"
)

// testApp is the source of a WAT test app in test/apps.
func testApp(t *testing.T, name string) string {
	t.Helper()
	wat, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "test", "apps", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(wat)
}

// triggerAppDir writes a spin.toml and the module compiled from wat as
// app.wasm into a temporary directory.
func triggerAppDir(t *testing.T, manifest, wat string) string {
	t.Helper()
	dir := t.TempDir()
	testwasm.Write(t, filepath.Join(dir, "app.wasm"), testwasm.Assemble(t, wat))
	if err := os.WriteFile(filepath.Join(dir, "spin.toml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestRunCommandTrigger: `spinoci run` runs a command app once, listening
// nowhere, with the guest's output, and exits with the guest's status.
func TestRunCommandTrigger(t *testing.T) {
	dir := triggerAppDir(t, `spin_manifest_version = 2
[application]
name = "job"
[[trigger.command]]
component = "job"
[component.job]
source = "app.wasm"
`, testApp(t, "command-exit.wat"))
	// The guest's output is copied into stdout by another goroutine:
	// buffers safe for that.
	var stdout, stderr testio.Buffer
	code := Main(context.Background(), []string{"--cache-dir", t.TempDir(), "run", "--listen", "127.0.0.1:1", dir},
		strings.NewReader(""), &stdout, &stderr)
	if code != 3 {
		t.Errorf("exit %d, want the guest's 3\n%s", code, stderr.String())
	}
	if stdout.String() != "ran\n" {
		t.Errorf("stdout %q, want the guest's output", stdout.String())
	}
	for _, want := range []string{"Command trigger: running job", "Error: the app exited with status 3"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "Serving http://") {
		t.Errorf("a command app listened:\n%s", stderr.String())
	}
}

// TestRunRedisTrigger: `spinoci run` subscribes an app's Redis trigger
// (against a real redis-server), runs the component for each message, and
// stops with status 0 when interrupted.
func TestRunRedisTrigger(t *testing.T) {
	redis := servers.Redis(t)
	dir := triggerAppDir(t, `spin_manifest_version = 2
[application]
name = "subscriber"
[application.trigger.redis]
address = "`+redis.RedisURL()+`"
[[trigger.redis]]
channel = "cli-messages"
component = "sub"
[component.sub]
source = "app.wasm"
`, testApp(t, "redis-spin1.wat"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testio.Buffer
	done := make(chan int)
	go func() {
		done <- Main(ctx, []string{"--cache-dir", t.TempDir(), "run", "--listen", "127.0.0.1:1", dir}, strings.NewReader(""), &stdout, &stderr)
	}()
	client := goredis.NewClient(&goredis.Options{Addr: redis.Addr()})
	defer client.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := client.Publish(ctx, "cli-messages", "hello from redis").Result()
		if err == nil && n > 0 {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("run exited %d before subscribing:\n%s", code, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nobody subscribed to cli-messages within 30s:\n%s", stderr.String())
		}
	}
	for !strings.Contains(stdout.String(), "redis message: hello from redis\n") {
		if time.Now().After(deadline) {
			t.Fatalf("the message was not handled; stdout %q\nstderr:\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after the interrupt, want 0\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop after the interrupt")
	}
	if s := stderr.String(); !strings.Contains(s, `Redis trigger: sub on channel "cli-messages" at `+redis.RedisURL()) || strings.Contains(s, "Serving http://") {
		t.Errorf("stderr should name the Redis trigger and no HTTP address:\n%s", s)
	}
}
