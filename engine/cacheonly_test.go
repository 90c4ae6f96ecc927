package engine

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCacheOnlyLoad: with CacheOnly, Load fails with ErrNotCached until
// the compiled code is in the cache, writes nothing there, and then loads
// and serves from it.
func TestCacheOnlyLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	app := newLock(t, nil, []testComponent{{id: "c", wasm: appPath("hello.wasm")}}, []testTrigger{{component: "c", route: "/..."}})

	if a, err := loadLock(t, t.Context(), app, Config{CacheDir: dir, CacheOnly: true}); !errors.Is(err, ErrNotCached) {
		if err == nil {
			a.Close()
		}
		t.Fatalf("cache-only load of an empty cache: %v, want ErrNotCached", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the cache-only load wrote %d cache entries", len(entries))
	}

	filled, err := loadLock(t, t.Context(), app, Config{CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	filled.Close()
	a, err := loadLock(t, t.Context(), app, Config{CacheDir: dir, CacheOnly: true})
	if err != nil {
		t.Fatalf("cache-only load after the cache was filled: %v", err)
	}
	defer a.Close()
	expect(t, do(t, a.Handler(), "GET", "/", ""), 200, "hello from spinoci\n")
}
