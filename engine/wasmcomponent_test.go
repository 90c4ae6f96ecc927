package engine

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	componentexec "github.com/spinoci/spinoci/engine/executor/component"
	"github.com/spinoci/spinoci/engine/executor/spinhttp"
)

// builtApp returns the path of a test app built by `make testapps`,
// skipping when it is not there.
func builtApp(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("SPINOCI_APPS_DIR")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "build", "apps")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not built (make testapps)", name)
	}
	return p
}

// TestComponentCompiledOnceThenCached loads a JS component twice with the
// same cache dir: the second load deserializes instead of compiling.
func TestComponentCompiledOnceThenCached(t *testing.T) {
	wasm := builtApp(t, "js-hello.wasm")
	cache := t.TempDir()
	var took [2]time.Duration
	for i := range took {
		start := time.Now()
		app := newLock(t, nil, []testComponent{{id: "c", wasm: wasm}}, []testTrigger{{component: "c", route: "/..."}})
		a, err := loadLock(t, context.Background(), app, Config{CacheDir: cache})
		if err != nil {
			t.Fatal(err)
		}
		took[i] = time.Since(start)
		expect(t, do(t, a.Handler(), http.MethodGet, "/", ""), 200, "hello universe")
		a.Close()
	}
	entries, _ := filepath.Glob(filepath.Join(cache, "*.cwasm"))
	if len(entries) != 1 {
		t.Fatalf("cache entries %v, want one serialized component", entries)
	}
	t.Logf("first load %v, cached load %v", took[0], took[1])
	if took[1]*4 > took[0] {
		t.Errorf("cached load (%v) is not much faster than the first (%v)", took[1], took[0])
	}
}

func TestComponentRoutesAndSpinHeaders(t *testing.T) {
	a := singleApp(t, builtApp(t, "js-hello.wasm"), "/...", nil, Config{CacheDir: sharedComponentCache()})
	expect(t, do(t, a.Handler(), http.MethodGet, "/hello/spinoci", ""), 200, `"Hello, spinoci!"`)
	w := do(t, a.Handler(), http.MethodGet, "/nope", "")
	if w.Code != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want the router's 404", w.Code)
	}
}

// sharedComponentCache is a compile cache kept across tests and runs, so
// only the first test that loads a JS component (12 MB) pays for compiling
// it. It is the directory the e2e tests share with their daemons
// (harness.SharedModuleCacheDir): unit tests warm it for them.
func sharedComponentCache() string {
	return filepath.Join(os.TempDir(), "spinoci-component-cache")
}

func TestComponentUnderWagiRefused(t *testing.T) {
	app := newLock(t, nil, []testComponent{{id: "c", wasm: builtApp(t, "js-hello.wasm")}},
		[]testTrigger{{component: "c", route: "/...", executor: map[string]any{"type": "wagi"}}})
	_, err := loadLock(t, context.Background(), app, Config{})
	if err == nil || !strings.Contains(err.Error(), "WAGI executor needs a core wasm module") {
		t.Fatalf("error = %v", err)
	}
}

// TestLargeAppsReleaseAfterResponse: a component or Spin 1.x module of
// 1 MiB or more (the JS component, mostly its runtime's memory snapshot;
// the Go module) releases each instance after the response; a small one
// in line. All serve (the App's cleanup then waits for instances still
// being released).
func TestLargeAppsReleaseAfterResponse(t *testing.T) {
	for _, tc := range []struct {
		app  string
		want bool
	}{{"js-hello.wasm", true}, {"tinygo-status.wasm", false}, {"spin-go.wasm", true}, {"hello.wasm", false}} {
		t.Run(tc.app, func(t *testing.T) {
			a := singleApp(t, builtApp(t, tc.app), "/...", nil, Config{CacheDir: sharedComponentCache()})
			var got bool
			switch exec := a.router.routes[0].handler.exec.(type) {
			case *componentexec.Executor:
				got = exec.Code().Load().ReleaseAfterResponse
			case *spinhttp.Executor:
				got = exec.ReleasesAfterResponse()
			default:
				t.Fatalf("executor %T", exec)
			}
			if got != tc.want {
				t.Errorf("releases after the response: %v, want %v", got, tc.want)
			}
			for range 5 {
				if w := do(t, a.Handler(), http.MethodGet, "/", ""); w.Code >= 500 {
					t.Fatalf("GET / = %d %q", w.Code, w.Body)
				}
			}
		})
	}
}
