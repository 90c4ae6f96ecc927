package shim

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/artifact/appdir"
)

// fileStoreGraceEnv, in the shim's environment, is how long the file store
// keeps a file no app directory links to any more (a Go duration; 0 removes
// it at the next collection).
const fileStoreGraceEnv = "SPINOCI_FILE_STORE_GRACE"

// defaultFileStoreGrace keeps an app's files across a restart or a rolling
// update, so that its next start copies nothing.
const defaultFileStoreGrace = 15 * time.Minute

// collectFileStoreLater runs collectFileStore in the background, as a
// Create does once its app has started (and so links every file it uses):
// the walk of the whole store stays off the start path. Collect is safe
// beside other processes' Materialize. A Create makes no garbage, so it
// collects only what outlived its grace since a Delete, and at most once
// per collectAfterCreateEvery on the node: a burst of starts does not walk
// the store once each.
func collectFileStoreLater(ctx context.Context, dir string) {
	if !dueAfterCreate(dir) {
		return
	}
	// Stamped before the walk, not after it: the Creates that follow while
	// it runs do not start walks of their own.
	if err := stampCollected(dir); err != nil {
		log.G(ctx).WithError(err).Warn("file store: not collecting after this start")
		return
	}
	ctx = context.WithoutCancel(ctx)
	go collectFileStore(ctx, dir)
}

// stampCollected records a collection after a Create beside the store in dir.
func stampCollected(dir string) error {
	f, err := os.Create(collectedStamp(dir))
	if err != nil {
		return fmt.Errorf("stamping the file store's collection: %w", err)
	}
	return f.Close()
}

// dueAfterCreate reports whether the store in dir exists and no Create has
// collected it for collectAfterCreateEvery.
func dueAfterCreate(dir string) bool {
	if _, err := os.Stat(dir); err != nil {
		return false // no store: nothing to collect
	}
	info, err := os.Stat(collectedStamp(dir))
	return err != nil || time.Since(info.ModTime()) >= collectAfterCreateEvery
}

// collectedStamp, beside the store in dir, was last written by a
// collection after a Create.
func collectedStamp(dir string) string { return dir + ".collected" }

// collectAfterCreateEvery is how often Creates collect the file store.
const collectAfterCreateEvery = time.Minute

// collectFileStore removes the file store's entries that no app directory
// has linked to for the grace period; it runs when an app directory has
// been made or removed. Trouble is logged: it never fails a task.
func collectFileStore(ctx context.Context, dir string) {
	logger := log.G(ctx).WithField("store", dir)
	grace := defaultFileStoreGrace
	if v := os.Getenv(fileStoreGraceEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			logger.Warnf("%s=%q: want a duration such as 15m or 0s; using %v", fileStoreGraceEnv, v, grace)
		} else {
			grace = d
		}
	}
	res, err := appdir.NewStore(dir).Collect(grace)
	if err != nil {
		logger.WithError(err).Warn("collecting the file store")
	}
	if res.Removed > 0 {
		logger.WithFields(log.Fields{"removed": res.Removed, "freed": res.Freed, "kept": res.Kept, "size": res.Size}).
			Info("removed files no app has used for the grace period from the file store")
	}
}
