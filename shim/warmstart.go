package shim

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/containerd/log"
	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/shim/compilecache"
)

// errNotCached: an app started cache-only found some of its compiled code
// missing from the compile cache (it has exited).
var errNotCached = errors.New("the app's compiled code is not all in the compile cache")

// startApp starts l's process in cg and waits until it is ready. An app
// with a compile stage (l.compile) is first started cache-only: when the
// cache already holds all its compiled code, which is every start but the
// first of an app on a node, it is ready at once and no compile stage
// runs. Otherwise it exits saying so; the compile stage fills the cache
// and the app is started again. An app the node has never compiled skips
// that attempt. Either way the process that runs guest code never writes
// the cache. running counts the optimising stages that follow
// (optimizeAfter).
func startApp(ctx context.Context, l appLaunch, cg *taskCgroup, running *optimizers) (*appProcess, error) {
	if l.compile == nil {
		p, err := startChild(ctx, l, cg)
		l.phases.done("app_ready")
		return p, err
	}
	if compiledBefore(ctx, l) {
		cached := l
		cached.cacheOnly = true
		p, err := startChild(ctx, cached, cg)
		if !errors.Is(err, errNotCached) {
			l.phases.done("app_ready")
			if err == nil {
				// Only fast code was cached (an optimising stage was cut
				// short): this start runs one.
				optimizeAfter(ctx, compileStage(l), p, running)
			}
			return p, err
		}
		l.phases.done("cache_miss")
	} else {
		l.phases.done("never_compiled")
	}
	stage, err := runCompileStage(ctx, l, cg)
	if err != nil {
		return nil, err
	}
	l.phases.done("compile_stage")
	p, err := startChild(ctx, l, cg)
	l.phases.done("app_ready")
	if err == nil {
		// Not before: the optimising stage would take CPU from the app's
		// start, which its first request waits for.
		optimizeAfter(ctx, compileStage(l), stage, running)
	}
	return p, err
}

// compiledBefore reports whether the compile cache may hold l's app's
// compiled code: false only when it holds code of none of the app's wasm
// binaries, as on the app's first start on a node, whose cache-only
// attempt (an exec of the app binary) would be in vain. When in doubt (an
// app whose wasm digests are not recorded, such as one from an ordinary
// image's files, or a cache it cannot read) it answers true: the attempt
// tells.
func compiledBefore(ctx context.Context, l appLaunch) bool {
	app, err := appdir.Open(filepath.Dir(l.lockPath))
	if err != nil {
		log.G(ctx).WithError(err).Debug("cannot tell whether the app was compiled before")
		return true
	}
	var wasms []digest.Digest
	for _, c := range app.Components() {
		if c.WasmDigest == "" {
			return true
		}
		wasms = append(wasms, c.WasmDigest)
	}
	held, err := compilecache.HoldsCodeOf(l.cacheDir, wasms)
	if err != nil {
		log.G(ctx).WithError(err).Debug("cannot tell whether the app was compiled before")
		return true
	}
	return held
}
