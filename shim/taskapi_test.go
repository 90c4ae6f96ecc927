package shim

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	_ "github.com/containerd/containerd/api/runtime/task/v3" // registers v3's message types
	"github.com/containerd/containerd/api/types/task"
	"github.com/containerd/errdefs"
	"github.com/containerd/ttrpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/spinoci/spinoci/shim/shimserver"
)

// TestTaskAPIOverTTRPC drives a task through create, start, kill, wait and
// delete over a real ttrpc connection to the server's registered services:
// task API v2 as containerd 1.7 speaks it, and v3, in v3's own message
// types, as containerd 2.x does.
func TestTaskAPIOverTTRPC(t *testing.T) {
	for _, service := range []string{shimserver.TaskServiceV2, shimserver.TaskServiceV3} {
		t.Run(service, func(t *testing.T) {
			h := newTaskHarness(t)
			api := taskAPIClient{t: t, client: serveTaskAPI(t, h), service: service}
			bundle := h.bundle(nil)

			created := &taskAPI.CreateTaskResponse{}
			if err := api.call(h.ctx, "Create", &taskAPI.CreateTaskRequest{ID: "c1", Bundle: bundle}, created); err != nil {
				t.Fatalf("Create: %v", err)
			}
			if want := uint32(h.launcher.proc(t, 0).pid()); created.Pid != want {
				t.Errorf("Create pid %d, want %d", created.Pid, want)
			}
			started := &taskAPI.StartResponse{}
			if err := api.call(h.ctx, "Start", &taskAPI.StartRequest{ID: "c1"}, started); err != nil || started.Pid != created.Pid {
				t.Fatalf("Start: %v, %v", started, err)
			}
			state := &taskAPI.StateResponse{}
			if err := api.call(h.ctx, "State", &taskAPI.StateRequest{ID: "c1"}, state); err != nil || state.Status != task.Status_RUNNING || state.Bundle != bundle {
				t.Errorf("State: %v, %v", state, err)
			}
			if err := api.call(h.ctx, "Kill", &taskAPI.KillRequest{ID: "c1", Signal: uint32(syscall.SIGTERM)}, &emptypb.Empty{}); err != nil {
				t.Fatalf("Kill: %v", err)
			}
			ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
			defer cancel()
			waited := &taskAPI.WaitResponse{}
			if err := api.call(ctx, "Wait", &taskAPI.WaitRequest{ID: "c1"}, waited); err != nil || waited.ExitStatus != 143 || waited.ExitedAt.AsTime().IsZero() {
				t.Fatalf("Wait: %v, %v", waited, err)
			}
			deleted := &taskAPI.DeleteResponse{}
			if err := api.call(h.ctx, "Delete", &taskAPI.DeleteRequest{ID: "c1"}, deleted); err != nil || deleted.ExitStatus != 143 || deleted.Pid != created.Pid {
				t.Fatalf("Delete: %v, %v", deleted, err)
			}
			// Errors keep their kind over the wire.
			if err := api.call(h.ctx, "State", &taskAPI.StateRequest{ID: "c1"}, &taskAPI.StateResponse{}); !errdefs.IsNotFound(native(err)) {
				t.Errorf("State after delete: got %v, want NotFound", err)
			}
			wantTopics(t, h.events(), topicCreate, topicStart, topicExit, topicDelete)
		})
	}
}

// serveTaskAPI serves the harness's task service on a unix socket and
// returns a ttrpc client connected to it.
func serveTaskAPI(t *testing.T, h *taskHarness) *ttrpc.Client {
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
	return client
}

// taskAPIClient calls one version of the task API. The test's messages are
// v2's; for v3 each is re-encoded into its v3 twin, so that what travels
// is what containerd 2.x's own types encode and decode.
type taskAPIClient struct {
	t       *testing.T
	client  *ttrpc.Client
	service string
}

func (c taskAPIClient) call(ctx context.Context, method string, req, resp proto.Message) error {
	wireReq, wireResp := c.twin(req), c.twin(resp)
	if err := c.client.Call(ctx, c.service, method, wireReq, wireResp); err != nil {
		return err
	}
	if wireResp != resp {
		c.convert(wireResp, resp)
	}
	return nil
}

// twin returns m's twin in the client's API version: m itself for v2 and
// for messages of no task API (google.protobuf.Empty).
func (c taskAPIClient) twin(m proto.Message) proto.Message {
	name := string(m.ProtoReflect().Descriptor().FullName())
	if c.service == shimserver.TaskServiceV2 || !strings.HasPrefix(name, "containerd.task.v2.") {
		return m
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(strings.Replace(name, ".v2.", ".v3.", 1)))
	if err != nil {
		c.t.Fatalf("v3 twin of %s: %v", name, err)
	}
	twin := mt.New().Interface()
	c.convert(m, twin)
	return twin
}

func (c taskAPIClient) convert(from, to proto.Message) {
	data, err := proto.Marshal(from)
	if err == nil {
		err = proto.Unmarshal(data, to)
	}
	if err != nil {
		c.t.Fatalf("re-encoding %T as %T: %v", from, to, err)
	}
}
