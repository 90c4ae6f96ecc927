package shim

import (
	"context"
	"runtime"
	"syscall"
	"time"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/shim/appproto"
)

// optimizeAfter follows a compile stage (stage, which ran as p) that cached
// fast code (appproto.TierFast: a first start) with a second stage, in the
// background, that caches the optimised code: the app moves to it once it
// is there, and later starts load it. The second stage is confined like the
// first, runs at the lowest CPU priority while the app serves, and is not
// waited for: the cache entry it writes is atomic, and a stage cut short
// leaves the fast code in use. It runs in the shim's cgroup rather than the
// task's, which must be empty to be removed when the task is deleted, and
// is killed when the shim exits: it outlives no shim.
func optimizeAfter(ctx context.Context, stage appLaunch, p *appProcess) {
	if p.ready.Tier != appproto.TierFast {
		return
	}
	stage.compileTier = appproto.TierOptimized
	stage.deathSignal = syscall.SIGKILL
	ctx = context.WithoutCancel(ctx)
	go func() {
		// The death signal fires when the starting thread exits: this
		// goroutine keeps it until the stage has exited.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		start := time.Now()
		logger := log.G(ctx).WithField("tier", appproto.TierOptimized)
		p, err := startChild(ctx, stage, nil)
		if err != nil {
			logger.WithError(err).Warn("optimising compile stage failed: the app keeps its fast code")
			return
		}
		status := p.wait()
		p.closePipes()
		if status != 0 {
			logger.WithField("status", status).Warn("optimising compile stage failed: the app keeps its fast code")
			return
		}
		logger.WithField("duration", time.Since(start)).Debug("optimising compile stage done")
	}()
}
