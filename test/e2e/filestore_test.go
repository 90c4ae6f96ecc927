package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// fileStoreFiles is the large static files of TestFileStoreReplicas: each is
// its own data layer.
const (
	fileStoreFiles    = 4
	fileStoreFileSize = 8 << 20
)

// TestFileStoreReplicas: an app with large static files copies none of
// them: the node's file store links the files containerd's content store
// keeps the blobs in, and a second replica's app directory links to the
// same inodes as the first one's, so the shim's state grows by far less
// than a megabyte, and both replicas serve the files. Deleting both
// containers leaves in the store (with no grace period) only what is
// containerd's blob files.
func TestFileStoreReplicas(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	reg := harness.StartRegistry(t)
	// No grace period: the store is collected as soon as the last
	// container using a file is deleted.
	d := harness.StartContainerdWith(t, harness.ContainerdLatest,
		harness.ContainerdOptions{Env: []string{"SPINOCI_FILE_STORE_GRACE=0s"}}).For(t)

	hostFiles, assetFiles := t.TempDir(), t.TempDir()
	sums := map[string][32]byte{}
	for i := range fileStoreFiles {
		data := make([]byte, fileStoreFileSize)
		_, _ = rand.Read(data)
		name := fmt.Sprintf("big%d.bin", i)
		sums[name] = sha256.Sum256(data)
		if err := os.WriteFile(filepath.Join(hostFiles, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFiles(t, assetFiles, map[string]string{"asset.css": "body { color: red }\n"})
	app, err := paths.ConformanceApp(harness.ConformanceOptions{HostFiles: hostFiles, AssetFiles: assetFiles, OutboundHost: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const repo = "e2e/filestore:v1"
	if _, err := harness.Push(ctx, reg.Host, repo, app, artifact.PackOptions{}); err != nil {
		t.Fatal(err)
	}
	ref := harness.Ref(reg.Host, repo)
	d.Pull(ref)

	stateRoot := filepath.Join(d.Root, harness.RuntimeType)
	store := filepath.Join(stateRoot, "store")
	env := []string{"SPIN_VARIABLE_API_KEY=s3cret", "WHO=world"}
	start := func(id string) string {
		t.Helper()
		addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
		t.Cleanup(func() { cleanupContainer(t, d, id) })
		began := time.Now()
		runSpin1(t, d, ref, id, addr, harness.TempDir(t, "kv"), filepath.Join(t.TempDir(), "app.log"), env...)
		t.Logf("%s: ctr run -d to serving in %v", id, time.Since(began).Round(time.Millisecond))
		return addr
	}
	serves := func(id, addr string) {
		t.Helper()
		for name, want := range sums {
			resp, err := harness.Get(t.Context(), "http://"+addr+"/host/file/"+name)
			if err != nil {
				t.Fatalf("%s: GET %s: %v", id, name, err)
			}
			if resp.Status != 200 || sha256.Sum256([]byte(resp.Body)) != want {
				t.Errorf("%s: GET /host/file/%s → %d, %d bytes, not the file's content", id, name, resp.Status, len(resp.Body))
			}
		}
	}

	addr1 := start("replica1")
	serves("replica1", addr1)
	before := diskUsage(t, stateRoot)
	addr2 := start("replica2")
	after := diskUsage(t, stateRoot)
	serves("replica2", addr2)
	serves("replica1", addr1)

	t.Logf("shim state (%s): %.1f MB with one replica, %+.3f MB for the second", stateRoot, float64(before)/1e6, float64(after-before)/1e6)
	if grown := after - before; grown > 1<<20 {
		t.Errorf("the second replica grew the shim's state by %d bytes, want under 1 MiB (no file copied)", grown)
	}
	if before < fileStoreFiles*fileStoreFileSize {
		t.Errorf("the shim's state holds %d bytes with one replica, less than the app's files", before)
	}
	contentBlobs := filepath.Join(d.Root, "io.containerd.content.v1.content", "blobs", "sha256")
	for name := range sums {
		encoded := fmt.Sprintf("%x", sums[name])
		entry := filepath.Join(store, "sha256", encoded)
		want := statFile(t, entry)
		if want.Nlink != 4 {
			t.Errorf("store entry of %s has %d links, want 4 (containerd's blob, the store, two app directories)", name, want.Nlink)
		}
		// The first start copied nothing either: the entry is the file
		// containerd's content store keeps the blob in.
		if blob := statFile(t, filepath.Join(contentBlobs, encoded)); blob.Ino != want.Ino || blob.Dev != want.Dev {
			t.Errorf("store entry of %s is a copy, not a link to containerd's blob file", name)
		}
		if mode := fs.FileMode(want.Mode).Perm(); mode != 0o444 {
			t.Errorf("store entry of %s has mode %v, want 0444", name, mode)
		}
		for _, id := range []string{"replica1", "replica2"} {
			if got := statFile(t, filepath.Join(d.AppDir(id), "files", "host", name)); got.Ino != want.Ino || got.Dev != want.Dev {
				t.Errorf("%s's %s is a copy, not a link to the store entry", id, name)
			}
		}
	}

	stopSpin1(t, d, "replica1")
	if left := storeEntries(t, store); len(left) == 0 {
		t.Error("the store is empty while replica2 still runs")
	}
	serves("replica2", addr2)
	stopSpin1(t, d, "replica2")
	// What the store keeps once no container uses it costs no disk: only
	// entries that are containerd's blob files, kept while containerd
	// keeps the blob (the next collection after that removes them).
	for _, entry := range storeEntries(t, store) {
		st := statFile(t, entry)
		blob, err := os.Lstat(filepath.Join(contentBlobs, filepath.Base(entry)))
		if err != nil || st.Nlink != 2 || blob.Sys().(*syscall.Stat_t).Ino != st.Ino {
			t.Errorf("after both containers were deleted the store keeps %s (%d links), which is not containerd's blob file", entry, st.Nlink)
		}
	}
}

func statFile(t *testing.T, p string) *syscall.Stat_t {
	t.Helper()
	info, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info.Sys().(*syscall.Stat_t)
}

// diskUsage is the disk space the files under dir take, each inode counted
// once (as du counts hard links).
func diskUsage(t *testing.T, dir string) int64 {
	t.Helper()
	seen := map[uint64]bool{}
	var total int64
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile
			}
			return err
		}
		info, err := e.Info()
		if err != nil {
			return nil
		}
		st := info.Sys().(*syscall.Stat_t)
		if !seen[st.Ino] {
			seen[st.Ino] = true
			total += st.Blocks * 512
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return total
}

// storeEntries lists the regular files under the store.
func storeEntries(t *testing.T, store string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(store, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if e.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
