package shim

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/shim/compilecache"
)

// cacheBoundTimeout bounds one eviction round, waiting for other tasks'
// starts included; a round that times out is skipped (the next start
// tries again).
const cacheBoundTimeout = 2 * time.Minute

// holdCompileCacheForStart keeps other tasks' evictions out of the compile
// cache in dir while this task's app starts (its compile stage writes
// entries the app has not locked yet); release once the app has loaded.
// Trouble is logged: it never fails a task.
func holdCompileCacheForStart(ctx context.Context, dir string) (release func()) {
	if dir == "" {
		return func() {}
	}
	release, err := compilecache.HoldForStart(dir)
	if err != nil {
		log.G(ctx).WithError(err).WithField("cache", dir).Warn("starting without holding the compile cache")
		return func() {}
	}
	return release
}

// boundCompileCacheLater evicts least recently used compiled code from dir
// in the background, once an app has started (and so holds the entries it
// uses), keeping the cache under SPINOCI_CACHE_MAX_SIZE, within
// cacheBoundTimeout. Create does not wait for it.
func boundCompileCacheLater(ctx context.Context, dir string) {
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheBoundTimeout)
	go func() {
		defer cancel()
		boundCompileCache(ctx, dir)
	}()
}

// boundCompileCache is one eviction round, once no app is starting. Trouble
// is logged: it never fails a task.
func boundCompileCache(ctx context.Context, dir string) {
	logger := log.G(ctx).WithField("cache", dir)
	maxSize, err := compilecache.ParseMaxSize(os.Getenv(compilecache.MaxSizeEnv))
	if err != nil {
		logger.WithError(err).Warnf("using the default compile cache cap of %d bytes", int64(compilecache.DefaultMaxSize))
		maxSize = compilecache.DefaultMaxSize
	}
	res, err := compilecache.BoundWhenIdle(ctx, dir, maxSize)
	if errors.Is(err, compilecache.ErrStartsInProgress) {
		logger.WithError(err).Info("compile cache not bounded this time")
		return
	}
	if err != nil {
		logger.WithError(err).Warn("bounding the compile cache")
	}
	if len(res.Removed) > 0 {
		logger.WithFields(log.Fields{"removed": len(res.Removed), "in_use": res.InUse, "size": res.Size, "max_size": maxSize}).
			Info("evicted least recently used compiled code")
	}
}
