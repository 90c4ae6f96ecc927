package engine

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/cpubench"
)

// oneComponentLock is an app of the one component wasm at /... .
func oneComponentLock(wasm string) *lock.LockedApp {
	return &lock.LockedApp{
		Metadata:   map[string]json.RawMessage{"name": json.RawMessage(`"bench"`)},
		Triggers:   []lock.Trigger{{ID: "t", TriggerType: "http", TriggerConfig: json.RawMessage(`{"component":"c","route":"/..."}`)}},
		Components: []lock.Component{{ID: "c", Source: lock.ComponentSource{ContentRef: lock.ContentRef{Source: appdir.FileURI(wasm)}}}},
	}
}

// startAndServe loads app with cfg and serves its first request, as a
// start of the app process does.
func startAndServe(b *testing.B, app *lock.LockedApp, cfg Config) {
	b.Helper()
	local, err := appdir.FromLocal(app)
	if err != nil {
		b.Fatal(err)
	}
	startAndServeApp(b, local, cfg)
}

// startAndServeApp is startAndServe for an App.
func startAndServeApp(b *testing.B, app *appdir.App, cfg Config) {
	b.Helper()
	a, err := Load(b.Context(), app, cfg)
	if err != nil {
		b.Fatal(err)
	}
	w := httptest.NewRecorder()
	a.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != http.StatusOK {
		b.Fatalf("GET / = %d %q", w.Code, w.Body)
	}
	a.Close()
}

// timeStarts times start, once per iteration, reporting its CPU time (all
// threads) per op too.
func timeStarts(b *testing.B, start func()) {
	b.Helper()
	b.ResetTimer()
	report := cpubench.Start(b)
	for b.Loop() {
		start()
	}
	report()
}

// BenchmarkCachedStartJS is a start of the JS component (Spin 3 http-js,
// 12 MB) whose compiled code is cached: Load and the first request.
func BenchmarkCachedStartJS(b *testing.B) {
	app := oneComponentLock(builtApp(b, "js-hello.wasm"))
	cfg := Config{CacheDir: b.TempDir()}
	startAndServe(b, app, cfg) // fills the cache
	timeStarts(b, func() { startAndServe(b, app, cfg) })
}

// BenchmarkCachedStartJSAppDir is BenchmarkCachedStartJS as the app
// process makes it: from an application directory built by Materialize
// (which records the wasm's digest) and only loading cached code.
func BenchmarkCachedStartJSAppDir(b *testing.B) {
	wasm, err := os.ReadFile(builtApp(b, "js-hello.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	d := digest.FromBytes(wasm)
	app := oneComponentLock("")
	app.Components[0].Source = lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Digest: d.String()}}
	dir, err := appdir.Materialize(b.Context(), app, appdir.Content{Blobs: appdir.MapBlobs{d: wasm}}, filepath.Join(b.TempDir(), "app"))
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{CacheDir: b.TempDir()}
	if _, err := Precompile(b.Context(), dir, nil, cfg.CacheDir, TierOptimized); err != nil {
		b.Fatal(err)
	}
	cfg.CacheOnly = true
	startAndServeApp(b, dir, cfg)
	timeStarts(b, func() { startAndServeApp(b, dir, cfg) })
}

// BenchmarkCachedStartJSFast is BenchmarkCachedStartJS with only the fast
// code cached (an optimising compile stage has not finished yet).
func BenchmarkCachedStartJSFast(b *testing.B) {
	app := oneComponentLock(builtApp(b, "js-hello.wasm"))
	cfg := Config{CacheDir: b.TempDir()}
	local, err := appdir.FromLocal(app)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Precompile(b.Context(), local, nil, cfg.CacheDir, TierFast); err != nil {
		b.Fatal(err)
	}
	timeStarts(b, func() { startAndServe(b, app, cfg) })
}

// BenchmarkFirstStartJS is a first start of the JS component, as the shim
// makes it: the compile stage (Precompile at TierFast into an empty
// cache), then Load and the first request (run with -benchtime=1x).
func BenchmarkFirstStartJS(b *testing.B) {
	app := oneComponentLock(builtApp(b, "js-hello.wasm"))
	defer cpubench.Start(b)()
	for b.Loop() {
		cfg := Config{CacheDir: b.TempDir()}
		local, err := appdir.FromLocal(app)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Precompile(b.Context(), local, nil, cfg.CacheDir, TierFast); err != nil {
			b.Fatal(err)
		}
		startAndServe(b, app, cfg)
	}
}
