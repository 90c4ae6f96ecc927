package appdir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/lock"
)

// FuzzMaterializeLinked: whatever file paths a lock names, an app directory
// linked to a file store holds each file at its path inside the directory
// (a read-only link to the store's entry) or Materialize fails leaving no
// directory; nothing is created anywhere else, and the store is left with
// entries only (no temporary file), which Collect removes once the app
// directory is gone.
func FuzzMaterializeLinked(f *testing.F) {
	f.Add("index.html", "static/app.js", []byte("<html>"))
	f.Add("../outside", "a/../../b", []byte("escape"))
	f.Add("same", "same", []byte("twice"))
	f.Add("dir/file", "dir", []byte("file and directory"))
	f.Add("/abs", "a\\b", []byte(""))
	f.Fuzz(func(t *testing.T, path1, path2 string, data []byte) {
		if !utf8.ValidString(path1) || !utf8.ValidString(path2) {
			t.Skip("a lock is JSON: its paths are UTF-8") // Materialize copies the lock through JSON
		}
		top := t.TempDir()
		store := NewStore(filepath.Join(top, "store"))
		dir := filepath.Join(top, "apps", "app")
		wasm := []byte("\x00asm\x01\x00\x00\x00")
		blobs := MapBlobs{digest.FromBytes(wasm): wasm, digest.FromBytes(data): data}
		app := &lock.LockedApp{Components: []lock.Component{{
			ID:     "c",
			Source: wasmRef(digest.FromBytes(wasm).String()),
			Files:  []lock.ContentPath{fileRef(path1, digest.FromBytes(data).String()), fileRef(path2, digest.FromBytes(data).String())},
		}}}
		_, err := Materialize(t.Context(), app, Content{Blobs: blobs, Store: store}, dir)
		if err == nil {
			for _, p := range []string{path1, path2} {
				target := filepath.Join(dir, FilesDirName, "c", filepath.FromSlash(p))
				if !strings.HasPrefix(target, filepath.Join(dir, FilesDirName, "c")+string(filepath.Separator)) {
					t.Fatalf("file %q materialised at %s, outside the component's directory", p, target)
				}
				assertStoreLinked(t, store, target, string(data))
			}
		} else if _, serr := os.Lstat(dir); !errors.Is(serr, fs.ErrNotExist) {
			t.Fatalf("failed Materialize (%v) left %s", err, dir)
		}
		// Nothing outside the app directory and the store.
		_ = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if !strings.HasPrefix(p, dir+string(filepath.Separator)) && !strings.HasPrefix(p, store.Dir()+string(filepath.Separator)) {
				t.Errorf("Materialize created %s", p)
			}
			return nil
		})
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		assertStoreEmptyAfterCollect(t, store)
	})
}
