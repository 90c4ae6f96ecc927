package shim

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/log"
	"github.com/sirupsen/logrus"
	"google.golang.org/grpc/grpclog"
)

// preparedAppFile, in a task's bundle, names the app directory the start
// action materialised for that task. The bundle lives as long as the task,
// so the record cannot outlive it and vouch for a stale directory.
const preparedAppFile = "spinoci-prepared-app"

// prepareApp runs in the start action, a short-lived process: it
// materialises the container's app (reading the image through containerd's
// gRPC content API) before containerd sends Create, so that the long-lived
// shim server neither dials gRPC nor grows its heap with the
// materialisation when this succeeds, and stays smaller while the app
// idles. The work only moves: containerd
// sends Create once the start action returns. Any failure (an ordinary
// image, a missing blob, …) is left to Create, which materialises again and
// reports it as before. A pod's sandbox has no app.
func prepareApp(ctx context.Context, images imageSource, bundle, namespace, id string) {
	spec, err := readSpec(bundle)
	if err != nil || isSandbox(spec) {
		return
	}
	// containerd reads the start action's stderr with its reply (combined
	// output): nothing may be logged, by us or gRPC (whose logger is set
	// before its first use in this process). Create logs whatever goes wrong.
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	ctx = log.WithLogger(ctx, logrus.NewEntry(quiet))
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, io.Discard))
	root := stateRootFor(bundle)
	dir := root.appDir(namespace, id)
	if err := images.materializeApp(ctx, id, dir, root.fileStoreDir()); err != nil {
		return
	}
	_ = os.WriteFile(filepath.Join(bundle, preparedAppFile), []byte(dir), 0o600)
}

// takePreparedApp reports whether the start action materialised dir for the
// task of bundle, and forgets it: a second Create of the task (after a
// failed one) materialises afresh.
func takePreparedApp(bundle, dir string) bool {
	record := filepath.Join(bundle, preparedAppFile)
	got, err := os.ReadFile(record)
	if err != nil {
		return false
	}
	_ = os.Remove(record)
	if string(got) != dir {
		return false
	}
	fi, err := os.Stat(filepath.Join(dir, "spin.lock"))
	return err == nil && fi.Mode().IsRegular()
}

// unclaimedPreparedApp is the app directory the start action materialised
// for a task whose Create never came (the delete action removes it), or "".
func unclaimedPreparedApp(bundle string) string {
	got, err := os.ReadFile(filepath.Join(bundle, preparedAppFile))
	if err != nil {
		return ""
	}
	// Only ever a directory under the state root's apps/.
	apps := filepath.Dir(filepath.Dir(stateRootFor(bundle).appDir("ns", "id")))
	if dir := filepath.Clean(string(got)); strings.HasPrefix(dir, apps+string(filepath.Separator)) {
		return dir
	}
	return ""
}
