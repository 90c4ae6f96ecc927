package compilecache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeEntry writes an entry of size bytes of code (plus a 65-byte
// checksum) last used age ago.
func writeEntry(t *testing.T, dir, key string, size int, age time.Duration) {
	t.Helper()
	when := time.Now().Add(-age)
	code := filepath.Join(dir, key+codeSuffix)
	sum := filepath.Join(dir, key+sumSuffix)
	if err := os.WriteFile(code, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sum, []byte(strings.Repeat("0", 64)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{code, sum} {
		if err := os.Chtimes(p, when, when); err != nil {
			t.Fatal(err)
		}
	}
}

// holdShared takes the shared lock an app process holds on an entry it uses.
func holdShared(t *testing.T, dir, key string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, key+codeSuffix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		t.Fatal(err)
	}
}

func exists(dir, key string) (code, sum bool) {
	_, errCode := os.Stat(filepath.Join(dir, key+codeSuffix))
	_, errSum := os.Stat(filepath.Join(dir, key+sumSuffix))
	return errCode == nil, errSum == nil
}

func TestBoundEvictsOldestUnusedEntries(t *testing.T) {
	dir := t.TempDir()
	const kb = 1000
	// Oldest first: a (in use), b, c, d (newest). Each is 1000+65 bytes.
	writeEntry(t, dir, "a", kb, 4*time.Hour)
	writeEntry(t, dir, "b", kb, 3*time.Hour)
	writeEntry(t, dir, "c", kb, 2*time.Hour)
	writeEntry(t, dir, "d", kb, time.Hour)
	holdShared(t, dir, "a")
	if err := os.WriteFile(filepath.Join(dir, "unrelated"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The compile stages' lock files of b and d: b's goes with it.
	for _, key := range []string{"b", "d"} {
		if err := os.WriteFile(filepath.Join(dir, key+lockSuffix), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	res, err := bound(context.Background(), dir, 2*(kb+65)+1)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Removed, ",") != "b,c" || res.InUse != 1 {
		t.Errorf("removed %q, in use %d; want b,c removed and a kept in use", res.Removed, res.InUse)
	}
	if res.Size != 2*(kb+65) {
		t.Errorf("size afterwards %d", res.Size)
	}
	for key, want := range map[string]bool{"a": true, "b": false, "c": false, "d": true} {
		if code, sum := exists(dir, key); code != want || sum != want {
			t.Errorf("entry %s: code %v, checksum %v, want %v", key, code, sum, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "unrelated")); err != nil {
		t.Errorf("a file that is not an entry was touched: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b"+lockSuffix)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an evicted entry's lock file: %v, want it gone", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "d"+lockSuffix)); err != nil {
		t.Errorf("a kept entry's lock file: %v", err)
	}
}

func TestBoundKeepsEntriesInUseOverTheCap(t *testing.T) {
	dir := t.TempDir()
	writeEntry(t, dir, "a", 500, time.Hour)
	writeEntry(t, dir, "b", 500, 2*time.Hour)
	holdShared(t, dir, "a")
	holdShared(t, dir, "b")
	res, err := bound(context.Background(), dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 0 || res.InUse != 2 {
		t.Errorf("got %+v, want both kept", res)
	}
}

func TestBoundUnderCapOrUncappedRemovesNothing(t *testing.T) {
	dir := t.TempDir()
	writeEntry(t, dir, "a", 500, time.Hour)
	for _, max := range []int64{0, 10_000} {
		if res, err := bound(context.Background(), dir, max); err != nil || len(res.Removed) != 0 || res.Size != 565 {
			t.Errorf("cap %d: %+v, %v", max, res, err)
		}
	}
	if res, err := bound(context.Background(), filepath.Join(dir, "missing"), 1); err != nil || res.Size != 0 {
		t.Errorf("missing dir: %+v, %v", res, err)
	}
}

func TestBoundRemovesHalfWrittenAndStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	writeEntry(t, dir, "new", 100, 0)
	// A writer died after the code, before its checksum.
	lone := filepath.Join(dir, "lone"+codeSuffix)
	if err := os.WriteFile(lone, make([]byte, 100), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	_ = os.Chtimes(lone, old, old)
	stale := filepath.Join(dir, tempPrefix+"x.cwasm-1")
	fresh := filepath.Join(dir, tempPrefix+"y.cwasm-2")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, make([]byte, 10), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_ = os.Chtimes(stale, old, old)

	res, err := bound(context.Background(), dir, 200)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Removed, ",") != "lone" {
		t.Errorf("removed %q, want the lone code file", res.Removed)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a write in progress was removed: %v", err)
	}
}

func TestParseMaxSize(t *testing.T) {
	for value, want := range map[string]int64{"": DefaultMaxSize, "0": 0, "1048576": 1 << 20, "2GiB": 2 << 30, "512MiB": 512 << 20} {
		if got, err := ParseMaxSize(value); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", value, got, err, want)
		}
	}
	for _, value := range []string{"lots", "-1", "1XB"} {
		if _, err := ParseMaxSize(value); err == nil || !strings.Contains(err.Error(), MaxSizeEnv) {
			t.Errorf("%q: %v, want an error naming %s", value, err, MaxSizeEnv)
		}
	}
}
