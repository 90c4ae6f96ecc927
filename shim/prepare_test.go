package shim

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/shim/appdirs"
)

// prepare does what the start action does for a task that starts a server
// (appdirs.Prepare) with images, and returns the task's app directory.
func (h *taskHarness) prepare(images *fakeImages, id, bundle string) string {
	h.t.Helper()
	appdirs.Prepare(h.ctx, images, bundle, nil, testNamespace, id)
	return h.appDir(id)
}

// TestCreateUsesPreparedApp: an app the start action materialised is
// launched as is, without reading the image again, and its record is
// consumed: a second Create of the task reads the image.
func TestCreateUsesPreparedApp(t *testing.T) {
	h := newTaskHarness(t)
	bundle := h.bundle(nil)
	dir := h.prepare(&fakeImages{}, "web", bundle)
	if _, err := h.create("web", bundle); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got := h.images.materialized(); len(got) != 0 {
		t.Errorf("Create materialised %v again", got)
	}
	launches := h.launcher.launched()
	if len(launches) != 1 || launches[0].lockPath != filepath.Join(dir, "spin.lock") {
		t.Fatalf("launches %+v, want one of %s", launches, dir)
	}
	if got := appdirs.Unclaimed(bundle); got != "" {
		t.Errorf("the prepared app %s is still recorded after Create took it", got)
	}
}

// TestCreateIgnoresUnusablePreparedApp: a prepared directory that lost its
// lock is not trusted: Create materialises.
func TestCreateIgnoresUnusablePreparedApp(t *testing.T) {
	h := newTaskHarness(t)
	bundle := h.bundle(nil)
	dir := h.prepare(&fakeImages{}, "web", bundle)
	if err := os.Remove(filepath.Join(dir, "spin.lock")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.create("web", bundle); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got := h.images.materialized(); len(got) != 1 || got[0] != "web" {
		t.Errorf("materialised %v, want [web]", got)
	}
}

// TestCreateTakesOrdinaryImageFromRootfs: when the start action found an
// ordinary image, Create takes the app from the root filesystem without
// reading the image again.
func TestCreateTakesOrdinaryImageFromRootfs(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mounting the rootfs needs root")
	}
	h := newTaskHarness(t)
	h.images.err = fmt.Errorf("artifact: %w", artifact.ErrNotSpinApp)
	bundle := h.bundle(nil)
	h.prepare(&fakeImages{err: h.images.err}, "web", bundle)
	rootfs := writeRootfs(t, rootfsManifest, map[string]string{"static/a": "a"})
	req := &taskAPI.CreateTaskRequest{ID: "web", Bundle: bundle,
		Rootfs: []*types.Mount{{Type: "bind", Source: rootfs, Options: []string{"rbind", "ro"}}}}
	if _, err := h.svc.Create(h.ctx, req); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got := h.images.materialized(); len(got) != 0 {
		t.Errorf("Create read the image again: %v", got)
	}
	if _, err := os.Stat(filepath.Join(h.appDir("web"), "spin.lock")); err != nil {
		t.Errorf("no app from the rootfs: %v", err)
	}
}
