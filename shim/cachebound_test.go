package shim

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spinoci/spinoci/shim/compilecache"
)

// TestCreateBoundsTheCompileCache: once an app has started, the cache is
// brought under SPINOCI_CACHE_MAX_SIZE, oldest entries first.
func TestCreateBoundsTheCompileCache(t *testing.T) {
	h := newTaskHarness(t)
	t.Setenv(compilecache.MaxSizeEnv, "1500")
	cache := filepath.Join(h.stateRoot, "cache")
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
	if _, err := h.create("c1", h.bundle(nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cache, "old.cwasm")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("least recently used entry kept: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cache, "new.cwasm")); err != nil {
		t.Errorf("recent entry removed: %v", err)
	}
}
