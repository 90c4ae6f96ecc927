package appdirs

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStateRootFollowsContainerdRoot: the state root is beside containerd's
// root, unless the environment moves it or the bundle does not tell.
func TestStateRootFollowsContainerdRoot(t *testing.T) {
	t.Setenv(StateRootEnv, "")
	t.Setenv(CacheDirEnv, "")
	bundle := t.TempDir()
	work := "/var/lib/containerd-test/io.containerd.runtime.v2.task/default/c1"
	if err := os.Symlink(work, filepath.Join(bundle, "work")); err != nil {
		t.Fatal(err)
	}
	p := StateRootFor(bundle)
	if want := "/var/lib/containerd-test/io.containerd.spinoci.v1/apps/default/c1"; p.AppDir("default", "c1") != want {
		t.Errorf("AppDir = %q, want %q", p.AppDir("default", "c1"), want)
	}
	if want := "/var/lib/containerd-test/io.containerd.spinoci.v1/cache"; p.CacheDir() != want {
		t.Errorf("CacheDir = %q, want %q", p.CacheDir(), want)
	}
	t.Setenv(CacheDirEnv, "/srv/cache")
	if got := p.CacheDir(); got != "/srv/cache" {
		t.Errorf("cache override ignored: %q", got)
	}
	blobs := "/var/lib/containerd-test/io.containerd.content.v1.content/blobs"
	if got := p.Files(); got.ContentBlobsDir != blobs || got.StoreDir != "/var/lib/containerd-test/io.containerd.spinoci.v1/store" {
		t.Errorf("Files = %+v, want the store under the state root, linking from %s", got, blobs)
	}
	t.Setenv(StateRootEnv, "/srv/spinoci")
	if got := StateRootFor(bundle).AppDir("k8s.io", "x"); got != "/srv/spinoci/apps/k8s.io/x" {
		t.Errorf("override ignored: %q", got)
	}
	if got := StateRootFor(bundle).ContentBlobsDir(); got != blobs {
		t.Errorf("with the state root moved, containerd's blobs are still at %s, not %q", blobs, got)
	}
	if got := StateRootFor(t.TempDir()); got.ContentBlobsDir() != "" {
		t.Errorf("a bundle without containerd's work link names blobs at %q", got.ContentBlobsDir())
	}
	t.Setenv(StateRootEnv, "")
	if got := StateRootFor(t.TempDir()).Root; got != fallbackStateRoot {
		t.Errorf("fallback: %q", got)
	}
}
