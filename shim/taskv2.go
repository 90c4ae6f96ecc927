package shim

import (
	"context"
	"fmt"

	taskv2 "github.com/containerd/containerd/api/runtime/task/v2"
	taskAPI "github.com/containerd/containerd/api/runtime/task/v3"
	"github.com/containerd/errdefs"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// taskV2 serves task API v2 (containerd.task.v2.Task, what containerd 1.7
// speaks) by relaying every call to the v3 service: the two protos declare
// the same messages with the same field numbers, so a message converts by
// re-encoding it.
type taskV2 struct{ v3 taskAPI.TTRPCTaskService }

var _ taskv2.TTRPCTaskService = taskV2{}

// relay converts the v2 request into its v3 twin, calls the v3 method and
// converts the reply back.
func relay[Req3, Resp3, Resp2 proto.Message](ctx context.Context, req2 proto.Message, req3 Req3, resp2 Resp2, call func(context.Context, Req3) (Resp3, error)) (Resp2, error) {
	var zero Resp2
	if err := convertMessage(req2, req3); err != nil {
		return zero, errgrpc.ToGRPC(fmt.Errorf("converting task API v2 request: %w: %w", errdefs.ErrInvalidArgument, err))
	}
	resp3, err := call(ctx, req3)
	if err != nil {
		return zero, err
	}
	if err := convertMessage(resp3, resp2); err != nil {
		return zero, errgrpc.ToGRPC(fmt.Errorf("converting task API v3 reply to v2: %w: %w", errdefs.ErrInternal, err))
	}
	return resp2, nil
}

// convertMessage copies from into to through the wire format.
func convertMessage(from, to proto.Message) error {
	data, err := proto.Marshal(from)
	if err != nil {
		return err
	}
	return proto.Unmarshal(data, to)
}

func (t taskV2) State(ctx context.Context, r *taskv2.StateRequest) (*taskv2.StateResponse, error) {
	return relay(ctx, r, &taskAPI.StateRequest{}, &taskv2.StateResponse{}, t.v3.State)
}

func (t taskV2) Create(ctx context.Context, r *taskv2.CreateTaskRequest) (*taskv2.CreateTaskResponse, error) {
	return relay(ctx, r, &taskAPI.CreateTaskRequest{}, &taskv2.CreateTaskResponse{}, t.v3.Create)
}

func (t taskV2) Start(ctx context.Context, r *taskv2.StartRequest) (*taskv2.StartResponse, error) {
	return relay(ctx, r, &taskAPI.StartRequest{}, &taskv2.StartResponse{}, t.v3.Start)
}

func (t taskV2) Delete(ctx context.Context, r *taskv2.DeleteRequest) (*taskv2.DeleteResponse, error) {
	return relay(ctx, r, &taskAPI.DeleteRequest{}, &taskv2.DeleteResponse{}, t.v3.Delete)
}

func (t taskV2) Pids(ctx context.Context, r *taskv2.PidsRequest) (*taskv2.PidsResponse, error) {
	return relay(ctx, r, &taskAPI.PidsRequest{}, &taskv2.PidsResponse{}, t.v3.Pids)
}

func (t taskV2) Pause(ctx context.Context, r *taskv2.PauseRequest) (*emptypb.Empty, error) {
	return relay(ctx, r, &taskAPI.PauseRequest{}, &emptypb.Empty{}, t.v3.Pause)
}

func (t taskV2) Resume(ctx context.Context, r *taskv2.ResumeRequest) (*emptypb.Empty, error) {
	return relay(ctx, r, &taskAPI.ResumeRequest{}, &emptypb.Empty{}, t.v3.Resume)
}

func (t taskV2) Checkpoint(ctx context.Context, r *taskv2.CheckpointTaskRequest) (*emptypb.Empty, error) {
	return relay(ctx, r, &taskAPI.CheckpointTaskRequest{}, &emptypb.Empty{}, t.v3.Checkpoint)
}

func (t taskV2) Kill(ctx context.Context, r *taskv2.KillRequest) (*emptypb.Empty, error) {
	return relay(ctx, r, &taskAPI.KillRequest{}, &emptypb.Empty{}, t.v3.Kill)
}

func (t taskV2) Exec(ctx context.Context, r *taskv2.ExecProcessRequest) (*emptypb.Empty, error) {
	return relay(ctx, r, &taskAPI.ExecProcessRequest{}, &emptypb.Empty{}, t.v3.Exec)
}

func (t taskV2) ResizePty(ctx context.Context, r *taskv2.ResizePtyRequest) (*emptypb.Empty, error) {
	return relay(ctx, r, &taskAPI.ResizePtyRequest{}, &emptypb.Empty{}, t.v3.ResizePty)
}

func (t taskV2) CloseIO(ctx context.Context, r *taskv2.CloseIORequest) (*emptypb.Empty, error) {
	return relay(ctx, r, &taskAPI.CloseIORequest{}, &emptypb.Empty{}, t.v3.CloseIO)
}

func (t taskV2) Update(ctx context.Context, r *taskv2.UpdateTaskRequest) (*emptypb.Empty, error) {
	return relay(ctx, r, &taskAPI.UpdateTaskRequest{}, &emptypb.Empty{}, t.v3.Update)
}

func (t taskV2) Wait(ctx context.Context, r *taskv2.WaitRequest) (*taskv2.WaitResponse, error) {
	return relay(ctx, r, &taskAPI.WaitRequest{}, &taskv2.WaitResponse{}, t.v3.Wait)
}

func (t taskV2) Stats(ctx context.Context, r *taskv2.StatsRequest) (*taskv2.StatsResponse, error) {
	return relay(ctx, r, &taskAPI.StatsRequest{}, &taskv2.StatsResponse{}, t.v3.Stats)
}

func (t taskV2) Connect(ctx context.Context, r *taskv2.ConnectRequest) (*taskv2.ConnectResponse, error) {
	return relay(ctx, r, &taskAPI.ConnectRequest{}, &taskv2.ConnectResponse{}, t.v3.Connect)
}

func (t taskV2) Shutdown(ctx context.Context, r *taskv2.ShutdownRequest) (*emptypb.Empty, error) {
	return relay(ctx, r, &taskAPI.ShutdownRequest{}, &emptypb.Empty{}, t.v3.Shutdown)
}
