package shimserver

import (
	"context"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/ttrpc"
	"google.golang.org/protobuf/proto"
)

// The ttrpc names of the task API's versions: containerd 2.x speaks v3,
// containerd 1.7 v2. Both protos declare the same calls with the same
// messages, field for field, so one table of methods on the v2 Go types
// serves both; the v3 Go package is not linked because it carries gRPC's
// client and server code.
const (
	TaskServiceV2 = "containerd.task.v2.Task"
	TaskServiceV3 = "containerd.task.v3.Task"
)

// RegisterTaskAPI registers svc on server as both versions of the task
// API.
func RegisterTaskAPI(server Registrar, svc taskAPI.TTRPCTaskService) {
	methods := taskMethods(svc)
	for _, name := range []string{TaskServiceV2, TaskServiceV3} {
		server.RegisterService(name, &ttrpc.ServiceDesc{Methods: methods})
	}
}

// taskMethods is the ttrpc method table of the task API.
func taskMethods(s taskAPI.TTRPCTaskService) map[string]ttrpc.Method {
	return map[string]ttrpc.Method{
		"State":      method(s.State),
		"Create":     method(s.Create),
		"Start":      method(s.Start),
		"Delete":     method(s.Delete),
		"Pids":       method(s.Pids),
		"Pause":      method(s.Pause),
		"Resume":     method(s.Resume),
		"Checkpoint": method(s.Checkpoint),
		"Kill":       method(s.Kill),
		"Exec":       method(s.Exec),
		"ResizePty":  method(s.ResizePty),
		"CloseIO":    method(s.CloseIO),
		"Update":     method(s.Update),
		"Wait":       method(s.Wait),
		"Stats":      method(s.Stats),
		"Connect":    method(s.Connect),
		"Shutdown":   method(s.Shutdown),
	}
}

// method adapts one call of the service to ttrpc: it decodes the request
// into a new message of the call's type.
func method[Req any, PReq interface {
	*Req
	proto.Message
}, Resp any](call func(context.Context, PReq) (Resp, error)) ttrpc.Method {
	return func(ctx context.Context, unmarshal func(any) error) (any, error) {
		req := PReq(new(Req))
		if err := unmarshal(req); err != nil {
			return nil, err
		}
		return call(ctx, req)
	}
}
