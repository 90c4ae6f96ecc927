package appdir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/lock"
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	return NewStore(filepath.Join(t.TempDir(), "store"))
}

func statOf(t *testing.T, p string) *syscall.Stat_t {
	t.Helper()
	info, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info.Sys().(*syscall.Stat_t)
}

// assertStoreLinked checks that p is a read-only hard link to the store's
// entry for content.
func assertStoreLinked(t *testing.T, s *Store, p, content string) {
	t.Helper()
	entry := s.entryPath(digest.FromString(content))
	got, want := statOf(t, p), statOf(t, entry)
	if got.Ino != want.Ino || got.Dev != want.Dev {
		t.Errorf("%s is not a link to the store entry %s", p, entry)
	}
	if mode := fs.FileMode(got.Mode).Perm(); mode != 0o444 {
		t.Errorf("%s has mode %v, want read-only 0444", p, mode)
	}
	if got := readString(t, entry); got != content {
		t.Errorf("store entry %s = %q, want %q", entry, got, content)
	}
}

// storeFiles lists every file under the store (entries and temporary files).
func storeFiles(t *testing.T, s *Store) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(s.Dir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, strings.TrimPrefix(p, s.Dir()+"/"))
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return files
}

// assertStoreEmptyAfterCollect checks that the store holds no temporary
// file, and nothing at all once collected (no app directory links to it).
func assertStoreEmptyAfterCollect(t *testing.T, s *Store) {
	t.Helper()
	for _, f := range storeFiles(t, s) {
		if strings.HasPrefix(f, storeTempPrefix) {
			t.Errorf("temporary file left in the store: %s", f)
		}
	}
	if _, err := s.Collect(0); err != nil {
		t.Fatal(err)
	}
	if left := storeFiles(t, s); len(left) != 0 {
		t.Errorf("store after Collect holds %v, want nothing", left)
	}
}

// countingBlobs counts Open calls.
type countingBlobs struct {
	MapBlobs
	opens atomic.Int64
}

func (c *countingBlobs) Open(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	c.opens.Add(1)
	return c.MapBlobs.Open(ctx, d)
}

func storeTestApp(files ...string) (*lock.LockedApp, MapBlobs) {
	const wasm = "\x00asm\x01\x00\x00\x00 store test"
	blobs := MapBlobs{digest.FromString(wasm): []byte(wasm)}
	c := lock.Component{ID: "web", Source: wasmRef(dg(wasm))}
	for i, f := range files {
		blobs[digest.FromString(f)] = []byte(f)
		c.Files = append(c.Files, fileRef(fmt.Sprintf("static/%d.txt", i), dg(f)))
	}
	return &lock.LockedApp{Components: []lock.Component{c}}, blobs
}

// TestStoreSharesFilesBetweenReplicas: a second app directory of the same
// app reads no blob and is made of links to the same read-only inodes.
func TestStoreSharesFilesBetweenReplicas(t *testing.T) {
	store := newTestStore(t)
	app, blobs := storeTestApp("first file", "second file")
	app.Components[0].Files = append(app.Components[0].Files,
		lock.ContentPath{ContentRef: lock.ContentRef{Inline: inline("inline content")}, Path: "inline.txt"})
	counted := &countingBlobs{MapBlobs: blobs}
	parent := t.TempDir()
	one, err := Materialize(t.Context(), app, Content{Blobs: counted, Store: store}, filepath.Join(parent, "one"))
	if err != nil {
		t.Fatal(err)
	}
	if n := counted.opens.Load(); n != 3 {
		t.Errorf("first replica opened %d blobs, want 3", n)
	}
	two, err := Materialize(t.Context(), app, Content{Blobs: counted, Store: store}, filepath.Join(parent, "two"))
	if err != nil {
		t.Fatal(err)
	}
	if n := counted.opens.Load(); n != 3 {
		t.Errorf("second replica opened %d more blobs, want none", n-3)
	}
	for rel, content := range map[string]string{
		"files/web/static/0.txt": "first file",
		"files/web/static/1.txt": "second file",
		"files/web/inline.txt":   "inline content",
		"wasm/" + digest.FromString("\x00asm\x01\x00\x00\x00 store test").Encoded() + ".wasm": "\x00asm\x01\x00\x00\x00 store test",
	} {
		for _, a := range []*App{one, two} {
			assertStoreLinked(t, store, filepath.Join(a.Dir(), rel), content)
		}
		if n := statOf(t, filepath.Join(one.Dir(), rel)).Nlink; n != 3 {
			t.Errorf("%s has %d links, want 3 (store and two app directories)", rel, n)
		}
	}
	if got := len(storeFiles(t, store)); got != 4 {
		t.Errorf("store holds %d files, want 4: %v", got, storeFiles(t, store))
	}
}

// TestStoreRefusesDigestMismatch: content that does not match its digest
// fails the app and leaves nothing in the store, not even for a later,
// honest writer.
func TestStoreRefusesDigestMismatch(t *testing.T) {
	store := newTestStore(t)
	app, blobs := storeTestApp("honest")
	bad := MapBlobs{}
	for d, b := range blobs {
		bad[d] = b
	}
	bad[digest.FromString("honest")] = []byte("tampered")
	parent := t.TempDir()
	_, err := Materialize(t.Context(), app, Content{Blobs: bad, Store: store}, filepath.Join(parent, "app"))
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("Materialize with a tampered blob: %v, want a digest mismatch", err)
	}
	if _, err := os.Stat(store.entryPath(digest.FromString("honest"))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the tampered file has a store entry (%v)", err)
	}
	for _, f := range storeFiles(t, store) {
		if strings.HasPrefix(f, storeTempPrefix) {
			t.Errorf("temporary file left in the store: %s", f)
		}
	}
	a, err := Materialize(t.Context(), app, Content{Blobs: blobs, Store: store}, filepath.Join(parent, "app"))
	if err != nil {
		t.Fatal(err)
	}
	assertStoreLinked(t, store, filepath.Join(a.Dir(), "files/web/static/0.txt"), "honest")
}

// TestStoreConcurrentWriters: many app directories of the same content
// written at once all get it, sharing one entry, with no temporary file
// left.
func TestStoreConcurrentWriters(t *testing.T) {
	store := newTestStore(t)
	content := strings.Repeat("shared by all ", 1<<16)
	app, blobs := storeTestApp(content)
	parent := t.TempDir()
	const writers = 8
	dirs := make([]string, writers)
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		dirs[i] = filepath.Join(parent, fmt.Sprintf("app%d", i))
		wg.Go(func() {
			_, errs[i] = Materialize(t.Context(), app, Content{Blobs: blobs, Store: store}, dirs[i])
		})
	}
	wg.Wait()
	for i, dir := range dirs {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		assertStoreLinked(t, store, filepath.Join(dir, "files/web/static/0.txt"), content)
	}
	if got := storeFiles(t, store); len(got) != 2 {
		t.Errorf("store holds %v, want the wasm and the file", got)
	}
}

// TestStoreCollect: Collect removes exactly the entries no app directory
// links to, and stale temporary files.
func TestStoreCollect(t *testing.T) {
	store := newTestStore(t)
	parent := t.TempDir()
	appA, blobsA := storeTestApp("shared", "only in A")
	appB, blobsB := storeTestApp("shared")
	a, err := Materialize(t.Context(), appA, Content{Blobs: blobsA, Store: store}, filepath.Join(parent, "a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Materialize(t.Context(), appB, Content{Blobs: blobsB, Store: store}, filepath.Join(parent, "b"))
	if err != nil {
		t.Fatal(err)
	}
	staleTemp := filepath.Join(store.Dir(), storeTempPrefix+"stale")
	youngTemp := filepath.Join(store.Dir(), storeTempPrefix+"young")
	for _, p := range []string{staleTemp, youngTemp} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleStoreTemp)
	if err := os.Chtimes(staleTemp, old, old); err != nil {
		t.Fatal(err)
	}

	res, err := store.Collect(0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 0 || res.Kept != 3 {
		t.Errorf("Collect with both apps = %+v, want nothing removed and 3 entries kept", res)
	}
	if _, err := os.Stat(staleTemp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file kept (%v)", err)
	}
	if _, err := os.Stat(youngTemp); err != nil {
		t.Errorf("young temporary file (a writer at work) removed: %v", err)
	}
	_ = os.Remove(youngTemp)

	if err := os.RemoveAll(a.Dir()); err != nil {
		t.Fatal(err)
	}
	res, err = store.Collect(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 0 || res.Kept != 3 {
		t.Errorf("Collect within the grace period after removing A = %+v, want nothing removed", res)
	}
	res, err = store.Collect(0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 1 || res.Freed != int64(len("only in A")) || res.Kept != 2 {
		t.Errorf("Collect after removing A = %+v, want A's own file removed, the wasm and the shared file kept", res)
	}
	if _, err := os.Stat(store.entryPath(digest.FromString("only in A"))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("A's own file is still in the store (%v)", err)
	}
	assertStoreLinked(t, store, filepath.Join(b.Dir(), "files/web/static/0.txt"), "shared")

	if err := os.RemoveAll(b.Dir()); err != nil {
		t.Fatal(err)
	}
	assertStoreEmptyAfterCollect(t, store)
}

// TestStoreRelinksCollectedEntry: an entry collected between two
// Materialize calls is written again from the blobs.
func TestStoreRelinksCollectedEntry(t *testing.T) {
	store := newTestStore(t)
	app, blobs := storeTestApp("again")
	parent := t.TempDir()
	a, err := Materialize(t.Context(), app, Content{Blobs: blobs, Store: store}, filepath.Join(parent, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(a.Dir()); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Collect(0); err != nil {
		t.Fatal(err)
	}
	b, err := Materialize(t.Context(), app, Content{Blobs: blobs, Store: store}, filepath.Join(parent, "b"))
	if err != nil {
		t.Fatal(err)
	}
	assertStoreLinked(t, store, filepath.Join(b.Dir(), "files/web/static/0.txt"), "again")
}

// otherFilesystemDir is a new directory in /dev/shm, removed after the
// test; the test is skipped where that is not another filesystem than
// store's.
func otherFilesystemDir(t *testing.T, store *Store) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "spinoci-store-test-")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if statOf(t, dir).Dev == statOf(t, filepath.Dir(store.Dir())).Dev {
		t.Skip("/dev/shm is on the test's temporary directory's filesystem")
	}
	return dir
}

// TestStoreOtherFilesystem: an app directory on another filesystem than the
// store gets copies (verified as ever), and the store keeps nothing linked.
func TestStoreOtherFilesystem(t *testing.T) {
	store := newTestStore(t)
	other := otherFilesystemDir(t, store)
	app, blobs := storeTestApp("copied")
	a, err := Materialize(t.Context(), app, Content{Blobs: blobs, Store: store}, filepath.Join(other, "app"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(a.Dir(), "files/web/static/0.txt")
	if got := readString(t, p); got != "copied" {
		t.Errorf("%s = %q", p, got)
	}
	if n := statOf(t, p).Nlink; n != 1 {
		t.Errorf("copied file has %d links, want 1", n)
	}
	assertStoreEmptyAfterCollect(t, store)
}

// BenchmarkMaterializeStaticFiles builds the app directory of an app with
// 20 × 10 MB files, copied and linked from a store that already holds them
// (a repeat start): linking costs microseconds per file, copying
// milliseconds per megabyte.
func BenchmarkMaterializeStaticFiles(b *testing.B) {
	files := make([]string, 20)
	for i := range files {
		files[i] = fmt.Sprintf("%02d", i) + strings.Repeat("static ", 10<<20/7)
	}
	app, blobs := storeTestApp(files...)
	for _, linked := range []bool{false, true} {
		name := "copied"
		content := Content{Blobs: blobs}
		if linked {
			name = "linked"
			content.Store = NewStore(filepath.Join(b.TempDir(), "store"))
			if _, err := Materialize(b.Context(), app, content, filepath.Join(b.TempDir(), "first")); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(name, func(b *testing.B) {
			parent := b.TempDir()
			for i := 0; b.Loop(); i++ {
				dir := filepath.Join(parent, fmt.Sprint(i))
				if _, err := Materialize(b.Context(), app, content, dir); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_ = os.RemoveAll(dir)
				b.StartTimer()
			}
		})
	}
}
