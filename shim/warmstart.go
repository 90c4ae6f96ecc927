package shim

import (
	"context"
	"errors"
)

// errNotCached: an app started cache-only found some of its compiled code
// missing from the compile cache (it has exited).
var errNotCached = errors.New("the app's compiled code is not all in the compile cache")

// startApp starts l's process in cg and waits until it is ready. An app
// with a compile stage (l.compile) is first started cache-only: when the
// cache already holds all its compiled code, which is every start but the
// first of an app on a node, it is ready at once and no compile stage
// runs. Otherwise it exits saying so; the compile stage fills the cache
// and the app is started again. Either way the process that runs guest
// code never writes the cache.
func startApp(ctx context.Context, l appLaunch, cg *taskCgroup) (*appProcess, error) {
	if l.compile == nil {
		p, err := startChild(ctx, l, cg)
		l.phases.done("app_ready")
		return p, err
	}
	cached := l
	cached.cacheOnly = true
	p, err := startChild(ctx, cached, cg)
	if !errors.Is(err, errNotCached) {
		l.phases.done("app_ready")
		if err == nil {
			// Only fast code was cached (an optimising stage was cut
			// short): this start runs one.
			optimizeAfter(ctx, compileStage(l), p)
		}
		return p, err
	}
	l.phases.done("cache_miss")
	stage, err := runCompileStage(ctx, l, cg)
	if err != nil {
		return nil, err
	}
	l.phases.done("compile_stage")
	p, err = startChild(ctx, l, cg)
	l.phases.done("app_ready")
	if err == nil {
		// Not before: the optimising stage, in the shim's cgroup, would
		// take CPU from the app's start, which its first request waits for.
		optimizeAfter(ctx, compileStage(l), stage)
	}
	return p, err
}
