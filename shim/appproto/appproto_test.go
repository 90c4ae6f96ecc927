package appproto

import (
	"bytes"
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAppArgsRoundTrip(t *testing.T) {
	for _, want := range []AppArgs{
		{LockPath: "/apps/c1/spin.lock", CacheDir: "/cache", StateDir: "/apps/c1/state"},
		{LockPath: "/apps/c 1/spin.lock", CacheDir: "/cache", StateDir: "/kv", Hostname: "pod-host"},
		{LockPath: "/apps/c1/spin.lock", CacheDir: "/cache", StateDir: "/kv", TempDir: "/apps/c1/tmp", CompileOnly: true},
		{LockPath: "/a/spin.lock", CacheDir: "/c", StateDir: "/s", RuntimeConfigPath: "/secrets/rc/runtime-config.toml"},
		{LockPath: "/a/spin.lock", CacheDir: "/c", StateDir: "/s", RuntimeConfigPath: "/h/rc.toml",
			RuntimeConfigName: "/runtime-config.toml", Volumes: []string{"/data=/h/data", "/x y=/h/x=y"}},
		{LockPath: "/apps/c1/spin.lock", CacheDir: "/cache", StateDir: "/kv", TempDir: "/apps/c1/tmp", CacheOnly: true},
		{LockPath: "/apps/c1/spin.lock", CacheDir: "/cache", StateDir: "/kv", CompileOnly: true, CompileTier: TierOptimized},
		{LockPath: "/apps/c1/spin.lock", CacheDir: "/cache", StateDir: "/kv", OneProc: true},
		{},
	} {
		args := want.Encode()
		if args[0] != AppModeArg {
			t.Fatalf("%+v: command line %q does not start with %q", want, args, AppModeArg)
		}
		got, err := ParseAppArgs(args[1:])
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("round trip of %+v: got %+v, %v", want, got, err)
		}
	}
	// The command line itself is what the shim has always passed.
	if got := (AppArgs{LockPath: "L", CacheDir: "C", StateDir: "S", Hostname: "h"}).Encode(); !reflect.DeepEqual(got,
		[]string{"app", "--lock", "L", "--cache", "C", "--state", "S", "--hostname", "h"}) {
		t.Errorf("app command line %q", got)
	}
}

// The pause process parses its command line in C (package nsenter, whose
// tests run it with these arguments).
func TestPauseArgs(t *testing.T) {
	if got := (PauseArgs{}).Encode(); !reflect.DeepEqual(got, []string{"pause"}) {
		t.Errorf("pause command line %q", got)
	}
	if got := (PauseArgs{Hostname: "pod-host"}).Encode(); !reflect.DeepEqual(got, []string{"pause", "--hostname", "pod-host"}) {
		t.Errorf("pause command line %q", got)
	}
}

func TestParseArgsRejectsUnknown(t *testing.T) {
	if _, err := ParseAppArgs([]string{"--lock", "x", "extra"}); err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("app with a positional argument: got %v", err)
	}
}

func TestStatusRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	sent := []Status{{State: StateReady}, {State: StateListening, Addr: "127.0.0.1:3000"}, {State: StateHolding}}
	for _, st := range sent {
		if err := WriteStatus(&buf, st); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	if len(lines) != len(sent)+1 || lines[len(sent)] != "" {
		t.Fatalf("want one line per status, got %q", buf.String())
	}
	for i, want := range sent {
		got, err := ParseStatus([]byte(lines[i]))
		if err != nil || got != want {
			t.Errorf("line %q: got %+v, %v; want %+v", lines[i], got, err, want)
		}
	}
	if lines[0] != `{"state":"ready"}`+"\n" {
		t.Errorf("ready line %q", lines[0])
	}
}

func TestParseStatusErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteStatus(&buf, Status{Error: "reading app lock: no such file"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseStatus(buf.Bytes()); err == nil || err.Error() != "reading app lock: no such file" {
		t.Errorf("error line: got %v", err)
	}
	// nsenter writes its failures in the same form.
	if _, err := ParseStatus([]byte(`{"error": "opening the pod's network namespace x"}`)); err == nil ||
		!strings.Contains(err.Error(), "network namespace") {
		t.Errorf("nsenter error line: got %v", err)
	}
	if _, err := ParseStatus([]byte("garbage\n")); err == nil || !strings.Contains(err.Error(), "invalid status line") {
		t.Errorf("invalid line: got %v", err)
	}
}

func TestAwaitStart(t *testing.T) {
	ctx := context.Background()
	if !AwaitStart(ctx, strings.NewReader(CommandStart)) {
		t.Error("start command not recognised")
	}
	if AwaitStart(ctx, strings.NewReader("stop\n")) {
		t.Error("another command taken for start")
	}
	if AwaitStart(ctx, strings.NewReader("")) {
		t.Error("closed control pipe taken for start")
	}
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if AwaitStart(ctx, r) {
		t.Error("cancelled wait reported start")
	}
}
