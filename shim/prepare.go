package shim

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/log"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"google.golang.org/grpc/grpclog"

	"github.com/spinoci/spinoci/artifact"
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
func prepareApp(ctx context.Context, images imageSource, bundle string, spec *specs.Spec, namespace, id string) {
	if isSandbox(spec) {
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
	record := filepath.Join(bundle, preparedAppFile)
	if err := images.materializeApp(ctx, id, dir, root.fileStoreDir()); err != nil {
		if errors.Is(err, artifact.ErrNotSpinApp) {
			_ = os.WriteFile(record, []byte(ordinaryImageRecord), 0o600)
		}
		return
	}
	_ = os.WriteFile(record, []byte(dir), 0o600)
}

// ordinaryImageRecord, as the prepared-app record, says that the start
// action found an ordinary image, not a Spin app: Create looks for the app
// in the root filesystem without reading the image again.
const ordinaryImageRecord = "ordinary image"

// preparedApp is what the start action left for Create.
type preparedApp int

const (
	preparedNothing       preparedApp = iota
	preparedSpinApp                   // the app directory, materialised
	preparedOrdinaryImage             // the image is not a Spin app
)

// takePreparedApp says what the start action left for the task of bundle
// whose app directory is dir, and forgets it: a second Create of the task
// (after a failed one) materialises afresh.
func takePreparedApp(bundle, dir string) preparedApp {
	record := filepath.Join(bundle, preparedAppFile)
	got, err := os.ReadFile(record)
	if err != nil {
		return preparedNothing
	}
	_ = os.Remove(record)
	switch string(got) {
	case ordinaryImageRecord:
		return preparedOrdinaryImage
	case dir:
		if fi, err := os.Stat(filepath.Join(dir, "spin.lock")); err == nil && fi.Mode().IsRegular() {
			return preparedSpinApp
		}
	}
	return preparedNothing
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
