package shim

import (
	"context"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/artifact/appdir"
)

// collectFileStore removes the file store's entries that no app directory
// links to any more, once an app directory has been removed. Trouble is
// logged: it never fails a task.
func collectFileStore(ctx context.Context, dir string) {
	logger := log.G(ctx).WithField("store", dir)
	res, err := appdir.NewStore(dir).Collect()
	if err != nil {
		logger.WithError(err).Warn("collecting the file store")
	}
	if res.Removed > 0 {
		logger.WithFields(log.Fields{"removed": res.Removed, "freed": res.Freed, "kept": res.Kept, "size": res.Size}).
			Info("removed files no app uses any more from the file store")
	}
}
