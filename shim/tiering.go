package shim

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/shim/appproto"
)

// optimizeAfter follows a compile stage (stage, which ran as p) that cached
// fast code (appproto.TierFast: a first start) with a second stage, in the
// background, that caches the optimised code: the app moves to it once it
// is there, and later starts load it. The second stage is confined like the
// first and is not waited for: the cache entry it writes is atomic, and a
// stage cut short leaves the fast code in use. It runs in the task's cgroup
// (p's), at the lowest CPU priority and as the first process the kernel
// kills when the cgroup's memory runs out: the task's limits bound it, and
// the app's requests come first (the scheduler weighs nice values only
// among threads of one cgroup: from the shim's cgroup the stage got that
// cgroup's full share against the task's). If the task is deleted first,
// the stage moves to the shim's cgroup
// to finish (taskCgroup.releaseStages), and the task's cgroup is removed.
// running counts it, so that the shim lets it finish after the task is gone
// (service.Shutdown): a container that ends first still leaves the
// optimised code for its next start, and the task's Delete removes the app
// directory only once the stage has read the app (appDirUsers). Its output
// goes to the shim's log, not to the container's streams, which it may
// outlive (a new container may reuse a log file's path). It is killed when
// the shim exits: it outlives no shim.
func optimizeAfter(ctx context.Context, stage appLaunch, p *appProcess, running *optimizers) {
	if p.ready.Tier != appproto.TierFast {
		return
	}
	ctx = context.WithoutCancel(ctx)
	logger := log.G(ctx).WithField("tier", appproto.TierOptimized)
	stage.compileTier = appproto.TierOptimized
	stage.deathSignal = syscall.SIGKILL
	stage.outlivesTask = true
	score := optimizerOOMScoreAdj
	stage.oomScoreAdj = &score
	done := running.begin()
	stage.inputsRead = stage.appDirUsers.add()
	go func() {
		defer done()
		defer stage.inputsRead() // the stage has ended, however
		// The death signal fires when the starting thread exits: this
		// goroutine keeps it until the stage has exited.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		start := time.Now()
		oomKillsBefore, _ := p.cgroup.oomKillsIfAny()
		status, err := runLogged(ctx, stage, p.cgroup, logger)
		oomKillsAfter, _ := p.cgroup.oomKillsIfAny()
		switch {
		case killedByOOM(err, status, oomKillsBefore, oomKillsAfter):
			logger.WithError(err).Warn("optimising compile stage killed by the kernel's OOM killer: the container's " +
				"memory limit leaves too little for it; the app keeps its fast code (a higher limit lets the stage finish)")
		case err != nil:
			logger.WithError(err).Warn("optimising compile stage failed: the app keeps its fast code")
		case status != 0:
			logger.WithField("status", status).Warn("optimising compile stage failed: the app keeps its fast code")
		default:
			logger.WithField("duration", time.Since(start)).Debug("optimising compile stage done")
		}
	}()
}

// killedByOOM tells whether a stage that ended with err (it did not report
// ready) or status was the OOM killer's victim: it failed while the kill
// count of its cgroup went from before to after. Its OOM score makes it
// the first choice there.
func killedByOOM(err error, status int, before, after uint64) bool {
	return (err != nil || status != 0) && after > before
}

// optimizerOOMScoreAdj makes an optimising compile stage the first process
// the kernel kills when the task's cgroup runs out of memory: the app keeps
// serving its fast code.
const optimizerOOMScoreAdj = 1000

// runLogged runs stage in cg with its output in the shim's log, waits for
// it and returns its exit status.
func runLogged(ctx context.Context, stage appLaunch, cg *taskCgroup, logger *log.Entry) (int, error) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, fmt.Errorf("opening %s: %w", os.DevNull, err)
	}
	defer devNull.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("creating the stage's output pipe: %w", err)
	}
	stage.stdout, stage.stderr = devNull, outW
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		defer outR.Close()
		lines := bufio.NewScanner(outR)
		for lines.Scan() {
			logger.WithField("stage", "output").Info(lines.Text())
		}
		// A line too long to scan: the rest is dropped, not left to fill
		// the pipe and block the stage.
		_, _ = io.Copy(io.Discard, outR)
	}()
	p, err := startChild(ctx, stage, cg)
	outW.Close() // the stage holds its own copy
	if err != nil {
		<-logged
		return 0, err
	}
	status := p.wait()
	cg.forgetStage(p.pid())
	p.closePipes()
	<-logged
	return status, nil
}

// optimizers counts the optimising compile stages a shim server runs. A nil
// *optimizers counts nothing.
type optimizers struct{ running atomic.Int32 }

// begin counts a stage that starts; the returned func ends it.
func (o *optimizers) begin() (end func()) {
	if o == nil {
		return func() {}
	}
	o.running.Add(1)
	return func() { o.running.Add(-1) }
}

// busy reports whether a stage runs.
func (o *optimizers) busy() bool { return o != nil && o.running.Load() > 0 }

// optimizersPoll is how often wait looks whether the stages have ended.
const optimizersPoll = 100 * time.Millisecond

// wait returns true once no stage runs, false if ctx ends first.
func (o *optimizers) wait(ctx context.Context) bool {
	tick := time.NewTicker(optimizersPoll)
	defer tick.Stop()
	for o.busy() {
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
	return true
}
