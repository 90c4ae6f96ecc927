package appdir

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
)

// writeBlobFile puts content in the blob directory dir as containerd's
// content store keeps it (<algorithm>/<encoded>) with mode, and returns its
// path.
func writeBlobFile(t *testing.T, dir, content string, mode fs.FileMode) string {
	t.Helper()
	d := digest.FromString(content)
	p := filepath.Join(dir, d.Algorithm().String(), d.Encoded())
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// assertNoStoreTemp fails when the store holds a temporary file.
func assertNoStoreTemp(t *testing.T, s *Store) {
	t.Helper()
	for _, f := range storeFiles(t, s) {
		if filepath.Base(f) != f {
			continue // an entry: <algorithm>/<encoded>
		}
		t.Errorf("temporary file left in the store: %s", f)
	}
}

// TestStoreLinksBlobFiles: a file whose blob the blob directory holds is a
// link to that very file (read through no Blobs), one it lacks is copied
// from the blobs as before; Collect keeps a linked entry while the blob
// directory holds its file, and removes it once that is gone too.
func TestStoreLinksBlobFiles(t *testing.T) {
	store := newTestStore(t)
	blobDir := filepath.Join(filepath.Dir(store.Dir()), "blobs")
	app, blobs := storeTestApp("in containerd", "not in containerd")
	linked := writeBlobFile(t, blobDir, "in containerd", 0o444)
	wasm := writeBlobFile(t, blobDir, "\x00asm\x01\x00\x00\x00 store test", 0o444)
	counted := &countingBlobs{MapBlobs: blobs}
	a, err := Materialize(t.Context(), app, Content{Blobs: counted, Store: store, LinkFrom: blobDir}, filepath.Join(t.TempDir(), "a"))
	if err != nil {
		t.Fatal(err)
	}
	if n := counted.opens.Load(); n != 1 {
		t.Errorf("opened %d blobs, want 1 (the one the blob directory lacks)", n)
	}
	for rel, blob := range map[string]string{
		"files/web/static/0.txt":                linked,
		"wasm/" + filepath.Base(wasm) + ".wasm": wasm,
	} {
		p := filepath.Join(a.Dir(), rel)
		got, want := statOf(t, p), statOf(t, blob)
		if got.Ino != want.Ino || got.Dev != want.Dev {
			t.Errorf("%s is not a link to the blob file %s", rel, blob)
		}
		if got.Nlink != 3 {
			t.Errorf("%s has %d links, want 3 (blob directory, store, app directory)", rel, got.Nlink)
		}
	}
	assertStoreLinked(t, store, filepath.Join(a.Dir(), "files/web/static/0.txt"), "in containerd")
	assertStoreLinked(t, store, filepath.Join(a.Dir(), "files/web/static/1.txt"), "not in containerd")
	if n := statOf(t, filepath.Join(a.Dir(), "files/web/static/1.txt")).Nlink; n != 2 {
		t.Errorf("the copied file has %d links, want 2 (store, app directory)", n)
	}
	assertNoStoreTemp(t, store)

	if err := os.RemoveAll(a.Dir()); err != nil {
		t.Fatal(err)
	}
	res, err := store.Collect(0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 1 || res.Kept != 2 {
		t.Errorf("Collect with the app gone = %+v, want the copied file removed and the two linked ones kept", res)
	}
	if err := os.RemoveAll(blobDir); err != nil {
		t.Fatal(err)
	}
	assertStoreEmptyAfterCollect(t, store)
}

// TestStoreCopiesUnlinkableBlobFiles: a blob file that is writable, not a
// regular file or not what its name says is copied from the blobs instead
// (the right bytes, a file of the store's own), and left as it was.
func TestStoreCopiesUnlinkableBlobFiles(t *testing.T) {
	const content = "the blob's bytes"
	for name, prepare := range map[string]func(t *testing.T, blobDir string) string{
		"writable": func(t *testing.T, blobDir string) string {
			return writeBlobFile(t, blobDir, content, 0o644)
		},
		"other bytes": func(t *testing.T, blobDir string) string {
			p := writeBlobFile(t, blobDir, content, 0o644)
			if err := os.WriteFile(p, []byte("tampered bytes!!"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, 0o444); err != nil {
				t.Fatal(err)
			}
			return p
		},
		"symlink": func(t *testing.T, blobDir string) string {
			target := filepath.Join(t.TempDir(), "target")
			if err := os.WriteFile(target, []byte(content), 0o444); err != nil {
				t.Fatal(err)
			}
			d := digest.FromString(content)
			p := filepath.Join(blobDir, d.Algorithm().String(), d.Encoded())
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			return p
		},
	} {
		t.Run(name, func(t *testing.T) {
			store := newTestStore(t)
			blobDir := filepath.Join(filepath.Dir(store.Dir()), "blobs")
			blob := prepare(t, blobDir)
			before, err := os.Lstat(blob)
			if err != nil {
				t.Fatal(err)
			}
			app, blobs := storeTestApp(content)
			a, err := Materialize(t.Context(), app, Content{Blobs: blobs, Store: store, LinkFrom: blobDir}, filepath.Join(t.TempDir(), "a"))
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(a.Dir(), "files/web/static/0.txt")
			assertStoreLinked(t, store, p, content)
			after, err := os.Lstat(blob)
			if err != nil {
				t.Fatal(err)
			}
			if got, blobStat := statOf(t, p), statOf(t, blob); got.Ino == blobStat.Ino && got.Dev == blobStat.Dev {
				t.Errorf("%s is a link to the blob file", p)
			}
			if got := readString(t, blob); name != "other bytes" && got != content {
				t.Errorf("the blob file now holds %q", got)
			}
			if after.Mode() != before.Mode() {
				t.Errorf("the blob file's mode changed from %v to %v", before.Mode(), after.Mode())
			}
			assertNoStoreTemp(t, store)
		})
	}
}

// TestStoreCopiesBlobFilesOfAnotherFilesystem: a blob directory on another
// filesystem than the store cannot be linked from: its files are copied
// from the blobs, and nothing is left in the store but the entries.
func TestStoreCopiesBlobFilesOfAnotherFilesystem(t *testing.T) {
	store := newTestStore(t)
	blobDir := otherFilesystemDir(t, store)
	const content = "a blob elsewhere"
	blob := writeBlobFile(t, blobDir, content, 0o444)
	app, blobs := storeTestApp(content)
	counted := &countingBlobs{MapBlobs: blobs}
	a, err := Materialize(t.Context(), app, Content{Blobs: counted, Store: store, LinkFrom: blobDir}, filepath.Join(t.TempDir(), "a"))
	if err != nil {
		t.Fatal(err)
	}
	if n := counted.opens.Load(); n != 2 {
		t.Errorf("opened %d blobs, want 2 (every file copied)", n)
	}
	p := filepath.Join(a.Dir(), "files/web/static/0.txt")
	assertStoreLinked(t, store, p, content)
	if statOf(t, blob).Nlink != 1 {
		t.Errorf("the blob file on another filesystem has %d links", statOf(t, blob).Nlink)
	}
	assertNoStoreTemp(t, store)
}
