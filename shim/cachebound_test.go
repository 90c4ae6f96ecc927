package shim

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spinoci/spinoci/shim/compilecache"
)

// writeOldAndNewEntries puts two 1000-byte entries in the cache: "old",
// last used two hours ago, and "new", one hour ago.
func writeOldAndNewEntries(t *testing.T, cache string) {
	t.Helper()
	if err := os.MkdirAll(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	for i, key := range []string{"old", "new"} {
		when := time.Now().Add(-time.Duration(2-i) * time.Hour)
		for _, name := range []string{key + ".cwasm", key + ".sum"} {
			p := filepath.Join(cache, name)
			if err := os.WriteFile(p, make([]byte, 500), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, when, when); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// waitGone waits up to 10 s for path to disappear.
func waitGone(t *testing.T, path string) {
	t.Helper()
	waitFor(t, path+" gone", func() bool {
		_, err := os.Stat(path)
		return errors.Is(err, os.ErrNotExist)
	})
}

// waitFor polls cond for up to 10 s; what names the awaited condition.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCreateBoundsTheCompileCache: once an app has started, the cache is
// brought under SPINOCI_CACHE_MAX_SIZE, oldest entries first, in the
// background.
func TestCreateBoundsTheCompileCache(t *testing.T) {
	h := newTaskHarness(t)
	t.Setenv(compilecache.MaxSizeEnv, "1500")
	cache := filepath.Join(h.stateRoot, "cache")
	writeOldAndNewEntries(t, cache)
	if _, err := h.create("c1", h.bundle(nil)); err != nil {
		t.Fatal(err)
	}
	waitGone(t, filepath.Join(cache, "old.cwasm"))
	if _, err := os.Stat(filepath.Join(cache, "new.cwasm")); err != nil {
		t.Errorf("recent entry removed: %v", err)
	}
}

// TestCreateDoesNotWaitForEviction: while another task's app starts (it
// holds the cache's start lock), Create still returns at once; the
// eviction it started runs once that start is over.
func TestCreateDoesNotWaitForEviction(t *testing.T) {
	h := newTaskHarness(t)
	t.Setenv(compilecache.MaxSizeEnv, "1500")
	cache := filepath.Join(h.stateRoot, "cache")
	writeOldAndNewEntries(t, cache)
	release, err := compilecache.HoldForStart(cache)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := h.create("c1", h.bundle(nil)); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Create took %v", took)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := os.Stat(filepath.Join(cache, "old.cwasm")); err != nil {
		t.Errorf("an entry was evicted while another app was starting: %v", err)
	}
	release()
	waitGone(t, filepath.Join(cache, "old.cwasm"))
}
