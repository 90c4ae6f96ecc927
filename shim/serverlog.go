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

// logHeirLocked is the bundle the server's log is to move to, if the
// bundle it goes to has no task: containerd reads a task's log FIFO from
// its Create until its Delete. A server shared by a pod or a group
// outlives the task that started it, and that task's Create may fail while
// another's succeeds; without a move, the server's log would be lost with
// that task's FIFO. The heir is preferred if given, else any task's bundle;
// "" if the log stays (its bundle has a task, or no task is left). s.mu is
// held.
func (s *service) logHeirLocked(preferred string) string {
	if s.serverLog == nil {
		return ""
	}
	current := filepath.Clean(s.serverLog.Bundle())
	heir := preferred
	for _, t := range s.tasks {
		if filepath.Clean(t.bundle) == current {
			return ""
		}
		if heir == "" {
			heir = t.bundle
		}
	}
	return heir
}

// moveLog sends the server's log to bundle's log FIFO.
func (s *service) moveLog(ctx context.Context, bundle string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), moveLogTimeout)
	defer cancel()
	if err := s.serverLog.MoveTo(ctx, bundle); err != nil {
		log.G(ctx).WithError(err).Warn("the shim server's log could not move to the log FIFO of a task still there: containerd's log may miss its lines")
	}
}
