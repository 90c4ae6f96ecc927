package shim

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"github.com/containerd/fifo"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestTaskTransitions(t *testing.T) {
	task := &shimTask{id: "c1", state: stateCreated}
	if err := task.transition(stateDeleted); err == nil || !errdefs.IsFailedPrecondition(err) ||
		!strings.Contains(err.Error(), "created to deleted") {
		t.Errorf("created → deleted: got %v", err)
	}
	for _, next := range []taskState{stateRunning, stateStopped, stateDeleted} {
		if err := task.transition(next); err != nil {
			t.Fatalf("→ %s: %v", next, err)
		}
	}
	if err := task.transition(stateRunning); err == nil {
		t.Error("deleted → running allowed")
	}
}

func TestTaskRecordRoundTrip(t *testing.T) {
	bundle := t.TempDir()
	if _, err := readTaskRecord(bundle); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing record: got %v", err)
	}
	at := time.Unix(1700000000, 0).UTC()
	want := taskRecord{Pid: 42, AppDir: "/x", Exited: true, ExitStatus: 137, ExitedAt: at}
	if err := writeTaskRecord(bundle, want); err != nil {
		t.Fatal(err)
	}
	got, err := readTaskRecord(bundle)
	if err != nil || got.Pid != 42 || got.ExitStatus != 137 || !got.ExitedAt.Equal(at) || got.AppDir != "/x" {
		t.Errorf("got %+v, %v", got, err)
	}
}

func TestStopReportsRecordedExitAndRemovesAppDir(t *testing.T) {
	bundle := t.TempDir()
	appDir := filepath.Join(t.TempDir(), "app")
	if err := os.MkdirAll(filepath.Join(appDir, "wasm"), 0o700); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	if err := writeTaskRecord(bundle, taskRecord{Pid: 1, AppDir: appDir, Exited: true, ExitStatus: 143, ExitedAt: at}); err != nil {
		t.Fatal(err)
	}
	t.Chdir(bundle)
	status, err := DeleteAction(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if status.ExitStatus != 143 || !status.ExitedAt.Equal(at) {
		t.Errorf("status = %+v", status)
	}
	if _, err := os.Stat(appDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("app dir still there: %v", err)
	}
	// Idempotent: a second delete, and one without any record, succeed.
	if _, err := DeleteAction(context.Background(), "c1"); err != nil {
		t.Errorf("second stop: %v", err)
	}
	t.Chdir(t.TempDir())
	if status, err := DeleteAction(context.Background(), "c2"); err != nil || status.ExitStatus != 137 {
		t.Errorf("stop without record: %+v, %v", status, err)
	}
}

func TestStdioFileURIAndErrorReport(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "logs", "app.log")
	s, err := openStdio(context.Background(), "file://"+logPath, "file://"+logPath)
	if err != nil {
		t.Fatal(err)
	}
	s.reportError(errors.New("lock: must_understand entry \"x\""))
	s.Close()
	data, _ := os.ReadFile(logPath)
	if !strings.Contains(string(data), `spinoci: lock: must_understand entry "x"`) {
		t.Errorf("log = %q", data)
	}
	if _, err := openStdio(context.Background(), "binary:///usr/bin/logger", ""); err == nil ||
		!strings.Contains(err.Error(), `"binary"`) {
		t.Errorf("binary scheme: got %v", err)
	}
}

func TestStdioFifo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stdout")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reader, err := fifo.OpenFifo(ctx, path, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	s, err := openStdio(ctx, path, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.out.WriteString("hello\n"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(reader); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "hello\n" {
		t.Errorf("read %q", buf.String())
	}
}

func TestAppStateDir(t *testing.T) {
	spec := &specs.Spec{Mounts: []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/.spin/", Type: "bind", Source: "/var/lib/kubelet/pods/u/volumes/kv", Options: []string{"rbind"}},
	}}
	if got := appStateDir(spec, "/apps/c1"); got != "/var/lib/kubelet/pods/u/volumes/kv" {
		t.Errorf("volume ignored: %q", got)
	}
	spec.Mounts[1].Type = "tmpfs"
	spec.Mounts[1].Options = nil
	if got := appStateDir(spec, "/apps/c1"); got != "/apps/c1/state" {
		t.Errorf("non-bind mount used: %q", got)
	}
}

func TestUnsupportedRequestsAnswerNotImplemented(t *testing.T) {
	s := &service{tasks: map[string]*shimTask{}, creating: map[string]bool{}}
	ctx := context.Background()
	calls := map[string]func() error{
		"Pause":      func() error { _, err := s.Pause(ctx, &taskAPI.PauseRequest{ID: "c1"}); return err },
		"Resume":     func() error { _, err := s.Resume(ctx, &taskAPI.ResumeRequest{ID: "c1"}); return err },
		"Checkpoint": func() error { _, err := s.Checkpoint(ctx, &taskAPI.CheckpointTaskRequest{ID: "c1"}); return err },
		"Exec":       func() error { _, err := s.Exec(ctx, &taskAPI.ExecProcessRequest{ID: "c1", ExecID: "e"}); return err },
		"ResizePty":  func() error { _, err := s.ResizePty(ctx, &taskAPI.ResizePtyRequest{ID: "c1"}); return err },
		"CloseIO":    func() error { _, err := s.CloseIO(ctx, &taskAPI.CloseIORequest{ID: "c1"}); return err },
		"Update":     func() error { _, err := s.Update(ctx, &taskAPI.UpdateTaskRequest{ID: "c1"}); return err },
		"Start exec": func() error { _, err := s.Start(ctx, &taskAPI.StartRequest{ID: "c1", ExecID: "e"}); return err },
	}
	for name, call := range calls {
		if err := call(); !errdefs.IsNotImplemented(errgrpc.ToNative(err)) {
			t.Errorf("%s: got %v, want NotImplemented", name, err)
		}
	}
	if _, err := s.Create(ctx, &taskAPI.CreateTaskRequest{ID: "c1", Terminal: true}); !errdefs.IsInvalidArgument(errgrpc.ToNative(err)) {
		t.Errorf("Create with a terminal: got %v, want InvalidArgument", err)
	}
	// Requests about unknown tasks are NotFound.
	if _, err := s.State(ctx, &taskAPI.StateRequest{ID: "nope"}); !errdefs.IsNotFound(errgrpc.ToNative(err)) {
		t.Errorf("State of an unknown task: got %v", err)
	}
	if _, err := s.Kill(ctx, &taskAPI.KillRequest{ID: "nope", Signal: 15}); !errdefs.IsNotFound(errgrpc.ToNative(err)) {
		t.Errorf("Kill of an unknown task: got %v", err)
	}
}
