package shim

import (
	"context"
	"path/filepath"
	"time"

	"github.com/containerd/log"
)

// serverLog is where the shim server's own log goes: the log FIFO of one
// of its tasks' bundles (shimserver.Log), which containerd reads until it
// deletes that task.
type serverLog interface {
	Bundle() string
	MoveTo(ctx context.Context, bundle string) error
}

// moveLogTimeout bounds opening another task's log FIFO: containerd holds
// it open, so only a containerd that stopped reading makes it wait.
const moveLogTimeout = 5 * time.Second

// logHeirLocked is the bundle the server's log moves to when the task of
// bundle gone is deleted: a task still there, if the log went to gone's
// FIFO, else "" (it stays). A server shared by a pod or a group outlives
// the task that started it; without the move its log would be lost with
// that task's FIFO. s.mu is held.
func (s *service) logHeirLocked(gone string) string {
	if s.serverLog == nil || filepath.Clean(s.serverLog.Bundle()) != filepath.Clean(gone) {
		return ""
	}
	for _, t := range s.tasks {
		return t.bundle
	}
	return ""
}

// moveLog sends the server's log to bundle's log FIFO.
func (s *service) moveLog(ctx context.Context, bundle string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), moveLogTimeout)
	defer cancel()
	if err := s.serverLog.MoveTo(ctx, bundle); err != nil {
		log.G(ctx).WithError(err).Warn("the shim server's log stays with a deleted task: containerd's log will not show it")
	}
}
