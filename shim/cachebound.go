package shim

import (
	"context"
	"os"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/shim/compilecache"
)

// boundCompileCache evicts least recently used compiled code from dir once
// an app has started (and so holds, and has written, the entries it uses),
// keeping the cache under SPINOCI_CACHE_MAX_SIZE. Trouble is logged: it
// never fails a task.
func boundCompileCache(ctx context.Context, dir string) {
	if dir == "" {
		return
	}
	logger := log.G(ctx).WithField("cache", dir)
	maxSize, err := compilecache.ParseMaxSize(os.Getenv(compilecache.MaxSizeEnv))
	if err != nil {
		logger.WithError(err).Warnf("using the default compile cache cap of %d bytes", int64(compilecache.DefaultMaxSize))
		maxSize = compilecache.DefaultMaxSize
	}
	res, err := compilecache.Bound(dir, maxSize)
	if err != nil {
		logger.WithError(err).Warn("bounding the compile cache")
	}
	if len(res.Removed) > 0 {
		logger.WithFields(log.Fields{"removed": len(res.Removed), "in_use": res.InUse, "size": res.Size, "max_size": maxSize}).
			Info("evicted least recently used compiled code")
	}
}
