package shim

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/shim/rendezvous"
)

// backgroundWork is what a shim server does for its tasks that may outlast
// them: the optimising compile stages (optimizers).
type backgroundWork interface {
	busy() bool
	// wait returns true once the work is done, false if ctx ends first.
	wait(ctx context.Context) bool
}

// defaultLingerLimit bounds how long a server whose tasks are all gone
// waits for its background work before it exits (which kills the work).
const defaultLingerLimit = 5 * time.Minute

// linger shuts the server down once its background work is done: a
// container that ends before its optimising compile stage leaves the
// optimised code cached for the next start, as one that runs longer does.
// Meanwhile the server's socket is gone, so that a new container of the
// same id or group starts a server of its own, and Create is refused.
func (s *service) linger() {
	if s.background == nil || !s.background.busy() {
		s.shutdown.Shutdown()
		return
	}
	if s.removeSocket != nil {
		s.removeSocket()
	}
	logger := log.G(s.ctx)
	logger.Info("no task left: the shim exits once its optimising compile stage is done")
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), s.lingerLimit)
		defer cancel()
		if !s.background.wait(ctx) {
			logger.Warnf("optimising compile stage still running %v after the last task: stopping it", s.lingerLimit)
		}
		s.shutdown.Shutdown()
	}()
}

// socketRemover returns a func that removes the server socket at addr
// once, however often it is called.
func socketRemover(ctx context.Context, addr string) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			if err := rendezvous.Remove(addr); err != nil && !errors.Is(err, os.ErrNotExist) {
				log.G(ctx).WithError(err).WithField("socket", addr).Warn("removing the shim socket")
			}
		})
	}
}
