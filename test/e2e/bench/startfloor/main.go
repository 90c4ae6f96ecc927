// Command containerd-shim-startfloor-v1-server is the server of the
// benchmark's floor of a start (runtime type io.containerd.startfloor.v1):
// spinoci's own shim binary, installed as containerd-shim-startfloor-v1, is
// its start action and runs it as the shim server, on spinoci's server
// runtime (package shimserver), which serves HTTP 200
// itself on the container's SPIN_HTTP_LISTEN_ADDR as soon as the task
// starts. It reads no image and runs no process, so `ctr run -d` → first
// 200 with it is what containerd, ctr and the shim protocol cost a start
// whatever a shim does: the part of spinoci's start time no shim can
// remove. Only `make bench` uses it; it is not a runtime for apps.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types"
	"github.com/containerd/containerd/v2/pkg/shutdown"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/runtime-spec/specs-go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	spinoci "github.com/spinoci/spinoci/shim"
	"github.com/spinoci/spinoci/shim/shimserver"
)

func main() {
	err := shimserver.Run(context.Background(), shimserver.Config{
		RuntimeName: "io.containerd.startfloor.v1",
		Info:        &types.RuntimeInfo{Name: "io.containerd.startfloor.v1"},
		NewTaskService: func(_ context.Context, env shimserver.Env) (shimserver.TaskService, error) {
			return &floor{shutdown: env.Shutdown, tasks: map[string]*task{}}, nil
		},
		Delete: spinoci.DeleteAction,
	}, os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// task is one container: its listen address, its server once started and
// its exit once killed.
type task struct {
	bundle, addr string
	srv          *http.Server
	exited       chan struct{}
	exitedAt     time.Time
}

type floor struct {
	shutdown shutdown.Service
	mu       sync.Mutex
	tasks    map[string]*task
}

func (f *floor) RegisterTTRPC(s shimserver.Registrar) error {
	shimserver.RegisterTaskAPI(s, f)
	return nil
}

func (f *floor) get(id string) (*task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.tasks[id]
	if !ok {
		return nil, fmt.Errorf("task %q: %w", id, errdefs.ErrNotFound)
	}
	return t, nil
}

func (f *floor) Create(_ context.Context, r *taskAPI.CreateTaskRequest) (*taskAPI.CreateTaskResponse, error) {
	data, err := os.ReadFile(filepath.Join(r.Bundle, "config.json"))
	if err != nil {
		return nil, err
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, err
	}
	t := &task{bundle: r.Bundle, addr: "127.0.0.1:80", exited: make(chan struct{})}
	if spec.Process != nil {
		for _, e := range spec.Process.Env {
			if v, ok := strings.CutPrefix(e, "SPIN_HTTP_LISTEN_ADDR="); ok {
				t.addr = v
			}
		}
	}
	f.mu.Lock()
	f.tasks[r.ID] = t
	f.mu.Unlock()
	return &taskAPI.CreateTaskResponse{Pid: uint32(os.Getpid())}, nil
}

func (f *floor) Start(_ context.Context, r *taskAPI.StartRequest) (*taskAPI.StartResponse, error) {
	t, err := f.get(r.ID)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", t.addr)
	if err != nil {
		return nil, err
	}
	t.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("Hello, Fermyon!\n"))
	})}
	go t.srv.Serve(l)
	return &taskAPI.StartResponse{Pid: uint32(os.Getpid())}, nil
}

func (f *floor) State(_ context.Context, r *taskAPI.StateRequest) (*taskAPI.StateResponse, error) {
	t, err := f.get(r.ID)
	if err != nil {
		return nil, err
	}
	st := &taskAPI.StateResponse{ID: r.ID, Bundle: t.bundle, Pid: uint32(os.Getpid())}
	switch {
	case isClosed(t.exited):
		st.Status, st.ExitedAt = 3, timestamppb.New(t.exitedAt) // STOPPED
	case t.srv != nil:
		st.Status = 2 // RUNNING
	default:
		st.Status = 1 // CREATED
	}
	return st, nil
}

func (f *floor) Kill(_ context.Context, r *taskAPI.KillRequest) (*emptypb.Empty, error) {
	t, err := f.get(r.ID)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !isClosed(t.exited) {
		if t.srv != nil {
			t.srv.Close()
		}
		t.exitedAt = time.Now()
		close(t.exited)
	}
	return &emptypb.Empty{}, nil
}

func (f *floor) Wait(ctx context.Context, r *taskAPI.WaitRequest) (*taskAPI.WaitResponse, error) {
	t, err := f.get(r.ID)
	if err != nil {
		return nil, err
	}
	select {
	case <-t.exited:
		return &taskAPI.WaitResponse{ExitedAt: timestamppb.New(t.exitedAt)}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *floor) Delete(_ context.Context, r *taskAPI.DeleteRequest) (*taskAPI.DeleteResponse, error) {
	t, err := f.get(r.ID)
	if err != nil {
		return nil, err
	}
	f.Kill(context.Background(), &taskAPI.KillRequest{ID: r.ID})
	f.mu.Lock()
	delete(f.tasks, r.ID)
	f.mu.Unlock()
	return &taskAPI.DeleteResponse{Pid: uint32(os.Getpid()), ExitedAt: timestamppb.New(t.exitedAt)}, nil
}

func (f *floor) Shutdown(context.Context, *taskAPI.ShutdownRequest) (*emptypb.Empty, error) {
	f.mu.Lock()
	idle := len(f.tasks) == 0
	f.mu.Unlock()
	if idle {
		f.shutdown.Shutdown()
	}
	return &emptypb.Empty{}, nil
}

func (f *floor) Connect(context.Context, *taskAPI.ConnectRequest) (*taskAPI.ConnectResponse, error) {
	return &taskAPI.ConnectResponse{ShimPid: uint32(os.Getpid()), TaskPid: uint32(os.Getpid())}, nil
}

func (f *floor) Pids(context.Context, *taskAPI.PidsRequest) (*taskAPI.PidsResponse, error) {
	return &taskAPI.PidsResponse{}, nil
}

var errNotSupported = fmt.Errorf("the start floor does not do this: %w", errdefs.ErrNotImplemented)

func (f *floor) Pause(context.Context, *taskAPI.PauseRequest) (*emptypb.Empty, error) {
	return nil, errNotSupported
}
func (f *floor) Resume(context.Context, *taskAPI.ResumeRequest) (*emptypb.Empty, error) {
	return nil, errNotSupported
}
func (f *floor) Checkpoint(context.Context, *taskAPI.CheckpointTaskRequest) (*emptypb.Empty, error) {
	return nil, errNotSupported
}
func (f *floor) Exec(context.Context, *taskAPI.ExecProcessRequest) (*emptypb.Empty, error) {
	return nil, errNotSupported
}
func (f *floor) ResizePty(context.Context, *taskAPI.ResizePtyRequest) (*emptypb.Empty, error) {
	return nil, errNotSupported
}
func (f *floor) CloseIO(context.Context, *taskAPI.CloseIORequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}
func (f *floor) Update(context.Context, *taskAPI.UpdateTaskRequest) (*emptypb.Empty, error) {
	return nil, errNotSupported
}
func (f *floor) Stats(context.Context, *taskAPI.StatsRequest) (*taskAPI.StatsResponse, error) {
	return nil, errNotSupported
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
