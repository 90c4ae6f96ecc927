package shimserver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"google.golang.org/protobuf/proto"
)

func testConfig(del func(context.Context, string) (ExitStatus, error)) Config {
	return Config{
		RuntimeName: "io.containerd.test.v1",
		Info:        &types.RuntimeInfo{Name: "io.containerd.test.v1", Version: &types.RuntimeVersion{Version: "1.2.3"}},
		NewTaskService: func(context.Context, Env) (TaskService, error) {
			return nil, errors.New("not in this test")
		},
		Delete: del,
	}
}

// TestDeleteAction: containerd reads the delete action's reply from stdout
// as a task API DeleteResponse; the action sees the namespace and task id.
func TestDeleteAction(t *testing.T) {
	exitedAt := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	var gotID, gotNS string
	cfg := testConfig(func(ctx context.Context, id string) (ExitStatus, error) {
		gotID = id
		gotNS, _ = namespaces.Namespace(ctx)
		return ExitStatus{Pid: 42, ExitStatus: 137, ExitedAt: exitedAt}, nil
	})
	var out bytes.Buffer
	args := []string{"-namespace", "k8s.io", "-address", "/run/c.sock", "-publish-binary", "/usr/bin/containerd", "-id", "c1", "-bundle", "/b", "delete"}
	if err := run(context.Background(), cfg, args, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if gotID != "c1" || gotNS != "k8s.io" {
		t.Errorf("delete ran for id %q in namespace %q, want c1 in k8s.io", gotID, gotNS)
	}
	var resp taskAPI.DeleteResponse
	if err := proto.Unmarshal(out.Bytes(), &resp); err != nil {
		t.Fatalf("decoding the reply: %v", err)
	}
	if resp.Pid != 42 || resp.ExitStatus != 137 || !resp.ExitedAt.AsTime().Equal(exitedAt) {
		t.Errorf("reply %v, want pid 42, status 137, exited at %v", &resp, exitedAt)
	}
}

func TestDeleteActionFailure(t *testing.T) {
	cfg := testConfig(func(context.Context, string) (ExitStatus, error) { return ExitStatus{}, errors.New("no bundle") })
	var out bytes.Buffer
	if err := run(context.Background(), cfg, []string{"-namespace", "n", "-id", "c1", "delete"}, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "no bundle") {
		t.Errorf("got %v, want the action's error", err)
	}
	if out.Len() != 0 {
		t.Errorf("a failed delete wrote a reply: %q", out.Bytes())
	}
}

func TestInfo(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), testConfig(nil), []string{"-info"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var info types.RuntimeInfo
	if err := proto.Unmarshal(out.Bytes(), &info); err != nil {
		t.Fatal(err)
	}
	if info.Name != "io.containerd.test.v1" || info.GetVersion().GetVersion() != "1.2.3" {
		t.Errorf("info %v", &info)
	}
}

func TestRunRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no namespace":   {[]string{"-id", "c1", "delete"}, "namespace"},
		"unknown flag":   {[]string{"-namespace", "n", "-bogus"}, "bogus"},
		"unknown action": {[]string{"-namespace", "n", "start"}, `"start"`},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), testConfig(nil), tc.args, &bytes.Buffer{}, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

// TestHelp: -h prints the flags containerd passes and succeeds, as a shim
// binary's usage does.
func TestHelp(t *testing.T) {
	var out, usage bytes.Buffer
	if err := run(context.Background(), testConfig(nil), []string{"-h"}, &out, &usage); err != nil {
		t.Fatalf("-h: %v", err)
	}
	for _, flag := range []string{"-namespace", "-address", "-id", "-bundle", "-socket", "-publish-binary"} {
		if !strings.Contains(usage.String(), flag) {
			t.Errorf("usage lacks %s:\n%s", flag, usage.String())
		}
	}
	if out.Len() != 0 {
		t.Errorf("-h wrote to stdout: %q", out.String())
	}
}
