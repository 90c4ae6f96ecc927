package shim

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// materializedApp builds an application directory of one component whose
// wasm is wasm and returns its lock file's path.
func materializedApp(t *testing.T, wasm []byte) string {
	t.Helper()
	d := digest.FromBytes(wasm)
	app := &lock.LockedApp{
		Metadata:   map[string]json.RawMessage{"name": json.RawMessage(`"warm"`)},
		Triggers:   []lock.Trigger{{ID: "t", TriggerType: "http", TriggerConfig: json.RawMessage(`{"component":"c","route":"/..."}`)}},
		Components: []lock.Component{{ID: "c", Source: lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Digest: d.String()}}}},
	}
	dir := filepath.Join(t.TempDir(), "app")
	if _, err := appdir.Materialize(t.Context(), app, appdir.Content{Blobs: appdir.MapBlobs{d: wasm}}, dir); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, appdir.LockFileName)
}

func TestCompiledBefore(t *testing.T) {
	wasm := []byte("\x00asm\x01\x00\x00\x00")
	lockPath := materializedApp(t, wasm)
	cache := t.TempDir()
	l := appLaunch{lockPath: lockPath, cacheDir: cache}
	if compiledBefore(t.Context(), l) {
		t.Error("an empty cache: compiledBefore = true, want false (skip the cache-only attempt)")
	}
	other := digest.FromString("another app's wasm").Encoded() + "-0123456789abcdef.cwasm"
	if err := os.WriteFile(filepath.Join(cache, other), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if compiledBefore(t.Context(), l) {
		t.Error("a cache of another app's code: compiledBefore = true, want false")
	}
	mine := digest.FromBytes(wasm).Encoded() + "-0123456789abcdef.cwasm"
	if err := os.WriteFile(filepath.Join(cache, mine), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if !compiledBefore(t.Context(), l) {
		t.Error("a cache holding the app's code: compiledBefore = false, want true")
	}
}

func TestCompiledBeforeWhenInDoubt(t *testing.T) {
	cache := t.TempDir()
	noApp := appLaunch{lockPath: filepath.Join(t.TempDir(), appdir.LockFileName), cacheDir: cache}
	if !compiledBefore(t.Context(), noApp) {
		t.Error("an unreadable app: compiledBefore = false, want true (let the cache-only attempt tell)")
	}
	cacheFile := filepath.Join(t.TempDir(), "cache")
	if err := os.WriteFile(cacheFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	badCache := appLaunch{lockPath: materializedApp(t, []byte("\x00asm\x01\x00\x00\x00")), cacheDir: cacheFile}
	if !compiledBefore(t.Context(), badCache) {
		t.Error("an unreadable cache: compiledBefore = false, want true")
	}
}
