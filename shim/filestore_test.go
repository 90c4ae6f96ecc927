package shim

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/shim/appdirs"
)

// storeImages materialises a one-file app with the real appdir.Materialize,
// its files linked into the store the service names.
type storeImages struct{ file []byte }

func (i storeImages) MaterializeApp(ctx context.Context, _ string, dir string, files appdirs.FileSources) error {
	wasm := []byte("\x00asm\x01\x00\x00\x00")
	app := &lock.LockedApp{Components: []lock.Component{{
		ID:     "web",
		Source: lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Digest: digest.FromBytes(wasm).String()}},
		Files:  []lock.ContentPath{{ContentRef: lock.ContentRef{Digest: digest.FromBytes(i.file).String()}, Path: "big.bin"}},
	}}}
	blobs := appdir.MapBlobs{digest.FromBytes(wasm): wasm, digest.FromBytes(i.file): i.file}
	_, err := appdir.Materialize(ctx, app, appdir.Content{Blobs: blobs, Store: appdir.NewStore(files.StoreDir), LinkFrom: files.ContentBlobsDir}, dir)
	return err
}

// TestReplicasShareTheFileStore: two tasks of one app share each file's
// inode in the state root's store; deleting the last one removes it.
func TestReplicasShareTheFileStore(t *testing.T) {
	h := newTaskHarness(t)
	t.Setenv(fileStoreGraceEnv, "0s")
	file := []byte("static content of a large file")
	h.svc.images = storeImages{file: file}
	for _, id := range []string{"r1", "r2"} {
		if _, err := h.create(id, h.bundle(nil)); err != nil {
			t.Fatal(err)
		}
	}
	entry := filepath.Join(h.stateRoot, "store", "sha256", digest.FromBytes(file).Encoded())
	inode := func(p string) (uint64, uint64) {
		t.Helper()
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		st := info.Sys().(*syscall.Stat_t)
		return st.Ino, uint64(st.Nlink)
	}
	storeIno, links := inode(entry)
	if links != 3 {
		t.Errorf("store entry has %d links, want 3 (store and two app directories)", links)
	}
	for _, id := range []string{"r1", "r2"} {
		if ino, _ := inode(filepath.Join(h.appDir(id), "files", "web", "big.bin")); ino != storeIno {
			t.Errorf("%s's file is not the store's inode", id)
		}
	}

	del := func(id string) {
		t.Helper()
		if _, err := h.svc.Delete(h.ctx, &taskAPI.DeleteRequest{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	del("r1")
	if _, links := inode(entry); links != 2 {
		t.Errorf("after deleting one replica the entry has %d links, want 2", links)
	}
	del("r2")
	if _, err := os.Stat(entry); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("store entry after deleting every replica: %v, want it removed", err)
	}
}

// TestShareTreeKeepsReadOnlyFiles: making an app directory readable to the
// app's user gives nobody write access to a read-only file (a store entry).
func TestShareTreeKeepsReadOnlyFiles(t *testing.T) {
	dir := t.TempDir()
	ro, rw := filepath.Join(dir, "linked"), filepath.Join(dir, "lock")
	if err := os.WriteFile(ro, []byte("x"), 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rw, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := shareTree(dir); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]fs.FileMode{ro: 0o444, rw: 0o644} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(p), got, want)
		}
	}
}

// TestFileStoreGraceKeepsFiles: by default the files of a deleted app stay
// in the store for the grace period, so that its next start copies nothing;
// a bad SPINOCI_FILE_STORE_GRACE falls back to the default.
func TestFileStoreGraceKeepsFiles(t *testing.T) {
	for _, grace := range []string{"", "soon"} {
		t.Run("grace="+grace, func(t *testing.T) {
			h := newTaskHarness(t)
			t.Setenv(fileStoreGraceEnv, grace)
			file := []byte("kept for a while")
			h.svc.images = storeImages{file: file}
			if _, err := h.create("r1", h.bundle(nil)); err != nil {
				t.Fatal(err)
			}
			if _, err := h.svc.Delete(h.ctx, &taskAPI.DeleteRequest{ID: "r1"}); err != nil {
				t.Fatal(err)
			}
			entry := filepath.Join(h.stateRoot, "store", "sha256", digest.FromBytes(file).Encoded())
			if _, err := os.Stat(entry); err != nil {
				t.Errorf("store entry right after its app was deleted: %v, want it kept", err)
			}
		})
	}
}

// Creates collect the store at most once a minute between them; a store
// never collected, or not for a minute, is due; a missing one never is.
func TestCollectAfterCreateIsThrottled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	if dueAfterCreate(dir) {
		t.Error("a missing store is due")
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if !dueAfterCreate(dir) {
		t.Error("a store never collected is not due")
	}
	stamp := collectedStamp(dir)
	if err := os.WriteFile(stamp, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if dueAfterCreate(dir) {
		t.Error("a store collected just now is due again")
	}
	old := time.Now().Add(-collectAfterCreateEvery - time.Second)
	if err := os.Chtimes(stamp, old, old); err != nil {
		t.Fatal(err)
	}
	if !dueAfterCreate(dir) {
		t.Error("a store collected over a minute ago is not due")
	}
	// A Create's collection claims the round before it walks: the next
	// Create, while the walk may still run, is not due.
	collectFileStoreLater(context.Background(), dir)
	if dueAfterCreate(dir) {
		t.Error("a store is due again right after a Create started collecting it")
	}
}
