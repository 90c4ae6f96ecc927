package shim

import (
	"context"
	"fmt"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	ptypes "github.com/containerd/containerd/v2/pkg/protobuf/types"
	"github.com/containerd/errdefs"
)

// The task API calls a Spin app has no use for: each is refused as not
// implemented, naming what was asked.

func notImplemented(what string) error {
	return toAPI(fmt.Errorf("%s is not supported by spinoci: %w", what, errdefs.ErrNotImplemented))
}

// Pause is not supported.
func (s *service) Pause(context.Context, *taskAPI.PauseRequest) (*ptypes.Empty, error) {
	return nil, notImplemented("pause")
}

// Resume is not supported.
func (s *service) Resume(context.Context, *taskAPI.ResumeRequest) (*ptypes.Empty, error) {
	return nil, notImplemented("resume")
}

// Checkpoint is not supported.
func (s *service) Checkpoint(context.Context, *taskAPI.CheckpointTaskRequest) (*ptypes.Empty, error) {
	return nil, notImplemented("checkpoint")
}

// Exec is not supported: a Spin app has no shell to run commands in.
func (s *service) Exec(context.Context, *taskAPI.ExecProcessRequest) (*ptypes.Empty, error) {
	return nil, notImplemented("exec")
}

// ResizePty is not supported (no terminals).
func (s *service) ResizePty(context.Context, *taskAPI.ResizePtyRequest) (*ptypes.Empty, error) {
	return nil, notImplemented("resizing a pty")
}

// CloseIO is not supported (apps do not read stdin).
func (s *service) CloseIO(context.Context, *taskAPI.CloseIORequest) (*ptypes.Empty, error) {
	return nil, notImplemented("closing stdin")
}

// Update is not supported.
func (s *service) Update(context.Context, *taskAPI.UpdateTaskRequest) (*ptypes.Empty, error) {
	return nil, notImplemented("updating resources")
}
