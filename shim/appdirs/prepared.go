package appdirs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/spinoci/spinoci/artifact"
)

// preparedAppFile, in a task's bundle, names the app directory Prepare
// materialised for that task. The bundle lives as long as the task, so the
// record cannot outlive it and vouch for a stale directory.
const preparedAppFile = "spinoci-prepared-app"

// ordinaryImageRecord, as the prepared-app record, says that the
// preparation found an ordinary image, not a Spin app: Create looks for the
// app in the root filesystem without reading the image again.
const ordinaryImageRecord = "ordinary image"

// CRI's annotation that says what a task is, and its value for a pod's
// sandbox ("pause") container.
const (
	ContainerTypeAnnotation = "io.kubernetes.cri.container-type"
	ContainerTypeSandbox    = "sandbox"
)

// IsSandbox tells whether a container with these annotations is a pod's
// sandbox: it has no app.
func IsSandbox(annotations map[string]string) bool {
	return annotations[ContainerTypeAnnotation] == ContainerTypeSandbox
}

// Source materialises a container's app directory from its image
// (ContainerdStore's).
type Source interface {
	MaterializeApp(ctx context.Context, containerID, dir string, files FileSources) error
}

// Prepare materialises the app of container id, whose bundle and
// annotations are given, and records it in the bundle for Create. Any
// failure (an ordinary image, a missing blob, …) is left to Create, which
// materialises again and reports it: Prepare reports nothing. A pod's
// sandbox has no app.
func Prepare(ctx context.Context, images Source, bundle string, annotations map[string]string, namespace, id string) {
	if IsSandbox(annotations) {
		return
	}
	root := StateRootFor(bundle)
	dir := root.AppDir(namespace, id)
	record := filepath.Join(bundle, preparedAppFile)
	if err := images.MaterializeApp(ctx, id, dir, root.Files()); err != nil {
		if errors.Is(err, artifact.ErrNotSpinApp) {
			_ = os.WriteFile(record, []byte(ordinaryImageRecord), 0o600)
		}
		return
	}
	_ = os.WriteFile(record, []byte(dir), 0o600)
}

// Prepared is what Prepare left for Create.
type Prepared int

const (
	PreparedNothing       Prepared = iota
	PreparedSpinApp                // the app directory, materialised
	PreparedOrdinaryImage          // the image is not a Spin app
)

// TakePrepared says what Prepare left for the task of bundle whose app
// directory is dir, and forgets it: a second Create of the task (after a
// failed one) materialises afresh.
func TakePrepared(bundle, dir string) Prepared {
	record := filepath.Join(bundle, preparedAppFile)
	got, err := os.ReadFile(record)
	if err != nil {
		return PreparedNothing
	}
	_ = os.Remove(record)
	switch string(got) {
	case ordinaryImageRecord:
		return PreparedOrdinaryImage
	case dir:
		if fi, err := os.Stat(filepath.Join(dir, "spin.lock")); err == nil && fi.Mode().IsRegular() {
			return PreparedSpinApp
		}
	}
	return PreparedNothing
}

// Unclaimed is the app directory Prepare materialised for a task whose
// Create never came (the delete action removes it), or "".
func Unclaimed(bundle string) string {
	got, err := os.ReadFile(filepath.Join(bundle, preparedAppFile))
	if err != nil {
		return ""
	}
	// Only ever a directory under the state root's apps/.
	apps := StateRootFor(bundle).appsDir()
	if dir := filepath.Clean(string(got)); strings.HasPrefix(dir, apps+string(filepath.Separator)) {
		return dir
	}
	return ""
}
