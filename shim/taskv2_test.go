package shim

import (
	"context"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	taskv2 "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types/task"
	"github.com/containerd/errdefs"
	"github.com/containerd/ttrpc"
)

// TestTaskAPIv2OverTTRPC drives a task through create, start, kill, wait
// and delete as containerd 1.7 does: task API v2 over a real ttrpc
// connection to the server's registered services.
func TestTaskAPIv2OverTTRPC(t *testing.T) {
	h := newTaskHarness(t)
	server, err := ttrpc.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.RegisterTTRPC(server); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = server.Serve(h.ctx, l) }()
	t.Cleanup(func() { _ = server.Close() })
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	client := ttrpc.NewClient(conn)
	t.Cleanup(func() { _ = client.Close() })
	tasks := taskv2.NewTTRPCTaskClient(client)

	bundle := h.bundle(nil)
	created, err := tasks.Create(h.ctx, &taskv2.CreateTaskRequest{ID: "c1", Bundle: bundle})
	if err != nil {
		t.Fatalf("v2 Create: %v", err)
	}
	if want := uint32(h.launcher.proc(t, 0).pid()); created.Pid != want {
		t.Errorf("v2 Create pid %d, want %d", created.Pid, want)
	}
	if started, err := tasks.Start(h.ctx, &taskv2.StartRequest{ID: "c1"}); err != nil || started.Pid != created.Pid {
		t.Fatalf("v2 Start: %v, %v", started, err)
	}
	if state, err := tasks.State(h.ctx, &taskv2.StateRequest{ID: "c1"}); err != nil || state.Status != task.Status_RUNNING || state.Bundle != bundle {
		t.Errorf("v2 State: %v, %v", state, err)
	}
	if _, err := tasks.Kill(h.ctx, &taskv2.KillRequest{ID: "c1", Signal: uint32(syscall.SIGTERM)}); err != nil {
		t.Fatalf("v2 Kill: %v", err)
	}
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	if waited, err := tasks.Wait(ctx, &taskv2.WaitRequest{ID: "c1"}); err != nil || waited.ExitStatus != 143 || waited.ExitedAt.AsTime().IsZero() {
		t.Fatalf("v2 Wait: %v, %v", waited, err)
	}
	if deleted, err := tasks.Delete(h.ctx, &taskv2.DeleteRequest{ID: "c1"}); err != nil || deleted.ExitStatus != 143 || deleted.Pid != created.Pid {
		t.Fatalf("v2 Delete: %v, %v", deleted, err)
	}
	// Errors keep their kind across the relay.
	if _, err := tasks.State(h.ctx, &taskv2.StateRequest{ID: "c1"}); !errdefs.IsNotFound(native(err)) {
		t.Errorf("v2 State after delete: got %v, want NotFound", err)
	}
	wantTopics(t, h.events(), topicCreate, topicStart, topicExit, topicDelete)
}
