package shim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/artifact"
)

// preparedAppFile, in a task's bundle, names the app directory the
// server's preparation (prepareApp) materialised for that task. The bundle
// lives as long as the task, so the record cannot outlive it and vouch for
// a stale directory.
const preparedAppFile = "spinoci-prepared-app"

// prepareApp materialises the container's app (reading the image through
// containerd's gRPC content API) and records it in the bundle for Create.
// The server runs it for the container whose start started it, as soon as
// it runs, so that the work overlaps containerd's handling of the start
// reply and its Create request. Any failure (an ordinary image, a missing
// blob, …) is left to Create, which materialises again and reports it. A
// pod's sandbox has no app.
func prepareApp(ctx context.Context, images imageSource, bundle string, spec *specs.Spec, namespace, id string) {
	if isSandbox(spec) {
		return
	}
	root := stateRootFor(bundle)
	dir := root.appDir(namespace, id)
	record := filepath.Join(bundle, preparedAppFile)
	if err := images.materializeApp(ctx, id, dir, root.appFiles()); err != nil {
		if errors.Is(err, artifact.ErrNotSpinApp) {
			_ = os.WriteFile(record, []byte(ordinaryImageRecord), 0o600)
		}
		return
	}
	_ = os.WriteFile(record, []byte(dir), 0o600)
}

// firstTaskPreparation is the server's preparation of the app of the
// container whose start started it (prepareApp).
type firstTaskPreparation struct {
	id   string
	done chan struct{}
}

// prepareFirstTask starts preparing the app of task id, whose bundle is
// the working directory; Create of id waits for it (awaitPreparation).
func (s *service) prepareFirstTask(id string) {
	bundle, err := os.Getwd()
	if err != nil {
		return // Create materialises and reports
	}
	spec, err := readSpec(bundle)
	if err != nil {
		return
	}
	p := &firstTaskPreparation{id: id, done: make(chan struct{})}
	s.firstTask = p
	go func() {
		defer close(p.done)
		prepareApp(s.ctx, s.images, bundle, spec, s.namespace, id)
	}()
	// A server told to stop before that Create came lets the preparation
	// finish, so that its record is in the bundle for the delete action to
	// remove the app directory it names.
	s.shutdown.RegisterCallback(func(ctx context.Context) error {
		select {
		case <-p.done:
		case <-ctx.Done():
		}
		return nil
	})
}

// awaitPreparation waits until the preparation of task id, if the server
// made one, has ended.
func (s *service) awaitPreparation(ctx context.Context, id string) error {
	if s.firstTask == nil || s.firstTask.id != id {
		return nil
	}
	select {
	case <-s.firstTask.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the app of %s to be read: %w", id, ctx.Err())
	}
}

// ordinaryImageRecord, as the prepared-app record, says that the
// preparation found an ordinary image, not a Spin app: Create looks for the app
// in the root filesystem without reading the image again.
const ordinaryImageRecord = "ordinary image"

// preparedApp is what the preparation left for Create.
type preparedApp int

const (
	preparedNothing       preparedApp = iota
	preparedSpinApp                   // the app directory, materialised
	preparedOrdinaryImage             // the image is not a Spin app
)

// takePreparedApp says what the preparation left for the task of bundle
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

// unclaimedPreparedApp is the app directory the preparation materialised
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
