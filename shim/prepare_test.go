package shim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/artifact"
)

// prepare writes what prepareApp leaves after a successful preparation:
// the app directory (with its spin.lock) and the bundle's record of it.
func (h *taskHarness) prepare(id, bundle string) string {
	h.t.Helper()
	dir := h.appDir(id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "spin.lock"), []byte("{}"), 0o600); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, preparedAppFile), []byte(dir), 0o600); err != nil {
		h.t.Fatal(err)
	}
	return dir
}

// TestCreateUsesPreparedApp: an app the preparation materialised is
// launched as is, without reading the image again, and the record is
// consumed.
func TestCreateUsesPreparedApp(t *testing.T) {
	h := newTaskHarness(t)
	bundle := h.bundle(nil)
	dir := h.prepare("web", bundle)
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
	if _, err := os.Stat(filepath.Join(bundle, preparedAppFile)); !os.IsNotExist(err) {
		t.Errorf("the prepared-app record is still there (%v)", err)
	}
}

// TestCreateIgnoresUnusablePreparedApp: a record naming another directory,
// or a directory without its lock, is not trusted: Create materialises.
func TestCreateIgnoresUnusablePreparedApp(t *testing.T) {
	for name, spoil := range map[string]func(bundle, dir string){
		"other directory": func(bundle, _ string) {
			_ = os.WriteFile(filepath.Join(bundle, preparedAppFile), []byte("/elsewhere"), 0o600)
		},
		"no lock": func(_, dir string) { _ = os.Remove(filepath.Join(dir, "spin.lock")) },
	} {
		t.Run(name, func(t *testing.T) {
			h := newTaskHarness(t)
			bundle := h.bundle(nil)
			spoil(bundle, h.prepare("web", bundle))
			if _, err := h.create("web", bundle); err != nil {
				t.Fatalf("Create: %v", err)
			}
			if got := h.images.materialized(); len(got) != 1 || got[0] != "web" {
				t.Errorf("materialised %v, want [web]", got)
			}
		})
	}
}

// TestUnclaimedPreparedApp: the delete action finds the directory of a task
// whose Create never came, only under the state root's apps/.
func TestUnclaimedPreparedApp(t *testing.T) {
	h := newTaskHarness(t)
	bundle := h.bundle(nil)
	if got := unclaimedPreparedApp(bundle); got != "" {
		t.Errorf("no record: %q, want none", got)
	}
	dir := h.prepare("web", bundle)
	if got := unclaimedPreparedApp(bundle); got != dir {
		t.Errorf("unclaimedPreparedApp = %q, want %s", got, dir)
	}
	for _, bad := range []string{"/etc", filepath.Join(h.stateRoot, "apps"), filepath.Join(h.stateRoot, "apps", "..", "cache")} {
		if err := os.WriteFile(filepath.Join(bundle, preparedAppFile), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := unclaimedPreparedApp(bundle); got != "" {
			t.Errorf("record %q: %q, want none", bad, got)
		}
	}
}

// TestPrepareApp: the preparation materialises an app and records it for
// Create; when it cannot, it records nothing, so that Create materialises
// and reports; a sandbox is never materialised.
func TestPrepareApp(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spec   *specs.Spec
		err    error
		record bool
		want   preparedApp // what Create takes
	}{
		{name: "app", record: true, want: preparedSpinApp},
		{name: "failure", err: errors.New("no such blob")},
		{name: "ordinary image", err: fmt.Errorf("artifact: %w: config media type x", artifact.ErrNotSpinApp), want: preparedOrdinaryImage},
		{name: "sandbox", spec: &specs.Spec{Annotations: map[string]string{annotationContainerType: containerTypeSandbox}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newTaskHarness(t)
			images := &fakeImages{err: tc.err}
			bundle := h.bundle(tc.spec)
			spec, err := readSpec(bundle)
			if err != nil {
				t.Fatal(err)
			}
			prepareApp(h.ctx, images, bundle, spec, testNamespace, "web")
			wantMaterialized := 1
			if tc.spec != nil {
				wantMaterialized = 0
			}
			if got := images.materialized(); len(got) != wantMaterialized {
				t.Errorf("materialised %q, want %d app(s)", got, wantMaterialized)
			}
			got, err := os.ReadFile(filepath.Join(bundle, preparedAppFile))
			if tc.record && (err != nil || string(got) != h.appDir("web")) {
				t.Errorf("prepared-app record %q, %v; want %s", got, err, h.appDir("web"))
			}
			if !tc.record && tc.want == preparedNothing && !os.IsNotExist(err) {
				t.Errorf("a prepared-app record was written (%q, %v)", got, err)
			}
			if took := takePreparedApp(bundle, h.appDir("web")); took != tc.want {
				t.Errorf("Create takes %v, want %v", took, tc.want)
			}
		})
	}
}

// TestCreateTakesOrdinaryImageFromRootfs: when the preparation found an
// ordinary image, Create takes the app from the root filesystem without
// reading the image again.
func TestCreateTakesOrdinaryImageFromRootfs(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("mounting the rootfs needs root")
	}
	h := newTaskHarness(t)
	h.images.err = fmt.Errorf("artifact: %w", artifact.ErrNotSpinApp)
	bundle := h.bundle(nil)
	if err := os.WriteFile(filepath.Join(bundle, preparedAppFile), []byte(ordinaryImageRecord), 0o600); err != nil {
		t.Fatal(err)
	}
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

// TestCreateWaitsForTheFirstTaskPreparation: the server prepares the app of
// the container whose start started it; that container's Create waits for
// the preparation and launches its app without reading the image again,
// while another container's Create does not wait for it.
func TestCreateWaitsForTheFirstTaskPreparation(t *testing.T) {
	h := newTaskHarness(t)
	h.images.gate = make(chan struct{})
	bundle := h.bundle(nil)
	t.Chdir(bundle) // the server's working directory is its first task's bundle
	h.svc.prepareFirstTask("web")

	created := make(chan error, 1)
	go func() {
		_, err := h.create("web", bundle)
		created <- err
	}()
	select {
	case err := <-created:
		t.Fatalf("Create returned before the preparation ended: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(h.images.gate)
	select {
	case err := <-created:
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Create still waits after the preparation ended")
	}
	if got := h.images.materialized(); len(got) != 1 || got[0] != "web" {
		t.Errorf("materialised %v, want [web] once (by the preparation)", got)
	}
	if launches := h.launcher.launched(); len(launches) != 1 || launches[0].lockPath != filepath.Join(h.appDir("web"), "spin.lock") {
		t.Errorf("launches %+v, want the prepared app", launches)
	}
}
