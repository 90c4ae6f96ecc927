package appprocess

import (
	"context"
	"fmt"
	"os"
	"runtime"

	"github.com/containerd/log"
	"golang.org/x/sys/unix"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/engine"
	"github.com/spinoci/spinoci/shim/appproto"
)

// backgroundNice is the nice value of an optimising compile stage, which
// runs while the app serves, in its cgroup: the app's requests come first.
const backgroundNice = 19

// compileStage is the shim's compile stage (--compile-only): it compiles
// the app's code into the cache at opts.CompileTier without loading the
// app, then reports StateReady, with Tier TierFast when the cache holds only
// fast code for some binary (an optimising stage should follow: the one
// after a first start may have been cut short).
func compileStage(ctx context.Context, opts appproto.AppArgs, app *appdir.App, report func(appproto.Status)) error {
	tier := engine.TierFast
	switch opts.CompileTier {
	case "", appproto.TierFast:
	case appproto.TierOptimized:
		tier = engine.TierOptimized
		// The compiler's threads are started by the thread that calls it,
		// whose nice value they inherit.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := unix.Setpriority(unix.PRIO_PROCESS, 0, backgroundNice); err != nil {
			log.G(ctx).WithError(err).Debug("cannot lower the optimising compile's priority")
		}
	default:
		return fmt.Errorf("--compile-tier %q: want %s or %s", opts.CompileTier, appproto.TierFast, appproto.TierOptimized)
	}
	// The shim removes a deleted task's app directory only once an
	// optimising stage, which may outlive the task, has read its inputs.
	inputsRead := engine.OnInputsRead(func() { report(appproto.Status{State: appproto.StateInputsRead}) })
	res, err := engine.Precompile(ctx, app, os.Environ(), opts.CacheDir, tier, inputsRead)
	if err != nil {
		return err
	}
	st := appproto.Status{State: appproto.StateReady}
	if res.Fast > 0 {
		st.Tier = appproto.TierFast
	}
	report(st)
	return nil
}
