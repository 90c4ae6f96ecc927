package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
	"github.com/sirupsen/logrus"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/testwasm"
)

// appsDir holds the built test apps (hello.wasm, spin-go.wasm, wagi-go.wasm,
// spin-host.wasm, fsprobe.wasm); set once by TestMain.
var appsDir string

// moduleCache is a module cache shared by tests that load the (slow to
// compile) Go apps; set once by TestMain.
var moduleCache string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "engine-test-apps-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	appsDir = dir
	moduleCache = filepath.Join(dir, "cache")
	if err := buildApps(dir); err != nil {
		fmt.Fprintln(os.Stderr, "build test apps:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildApps builds test/apps (WAT with wasmtime.Wat2Wasm, Go with go build)
// and the engine's own testdata probes into dir.
func buildApps(dir string) error {
	wat, err := os.ReadFile("../test/apps/hello.wat")
	if err != nil {
		return err
	}
	wasm, err := wasmtime.Wat2Wasm(string(wat))
	if err != nil {
		return fmt.Errorf("hello.wat: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hello.wasm"), wasm, 0o644); err != nil {
		return err
	}
	if wat, err = os.ReadFile("../test/apps/redis-spin1.wat"); err != nil {
		return err
	}
	if wasm, err = wasmtime.Wat2Wasm(string(wat)); err != nil {
		return fmt.Errorf("redis-spin1.wat: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "redis-spin1.wasm"), wasm, 0o644); err != nil {
		return err
	}
	for _, b := range []struct{ out, pkg, mode string }{
		{"spin-go.wasm", "../test/apps/spin-go", "c-shared"},
		{"wagi-go.wasm", "../test/apps/wagi-go", "default"},
		{"spin-host.wasm", "../test/apps/spin-host", "c-shared"},
		{"fsprobe.wasm", "./testdata/fsprobe", "default"},
		{"command-go.wasm", "../test/apps/command-go", "default"},
	} {
		cmd := exec.Command("go", "build", "-buildmode="+b.mode, "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
		}
	}
	return nil
}

func appPath(name string) string { return filepath.Join(appsDir, name) }

// watFile compiles WAT text to a wasm file in a test temp dir.
func watFile(t *testing.T, wat string) string {
	t.Helper()
	return bytesFile(t, testwasm.Assemble(t, wat))
}

func bytesFile(t *testing.T, b []byte) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "*.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// testComponent and testTrigger describe a local lock for newLock.
type testComponent struct {
	id, wasm string
	env      map[string]string
	files    map[string]string // guest path -> host path
}

type testTrigger struct {
	component, route string
	executor         any // JSON value of trigger_config.executor
}

// newLock writes a local spin.lock and reads it back through the lock
// package.
func newLock(t *testing.T, metadata map[string]any, comps []testComponent, trigs []testTrigger) *lock.LockedApp {
	t.Helper()
	if metadata == nil {
		metadata = map[string]any{"name": "test-app", "trigger": map[string]any{"base": "/", "type": "http"}}
	}
	var jc, jt []any
	for _, c := range comps {
		var files []any
		for guest, hostPath := range c.files {
			files = append(files, map[string]any{"source": appdir.FileURI(hostPath), "path": guest})
		}
		jc = append(jc, map[string]any{
			"id":     c.id,
			"source": map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(c.wasm)},
			"env":    c.env,
			"files":  files,
		})
	}
	for i, tr := range trigs {
		jt = append(jt, map[string]any{
			"id": fmt.Sprintf("trigger-%d", i), "trigger_type": "http",
			"trigger_config": map[string]any{"component": tr.component, "route": tr.route, "executor": tr.executor},
		})
	}
	return writeLock(t, map[string]any{
		"spin_lock_version": 0, "metadata": metadata, "triggers": jt, "components": jc,
	})
}

// load loads app and closes it at the end of the test.
func load(t *testing.T, app *lock.LockedApp, cfg Config) *App {
	t.Helper()
	a, err := loadLock(t, context.Background(), app, cfg)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(a.Close)
	return a
}

// singleApp loads one component at route with the given executor.
func singleApp(t *testing.T, wasm, route string, executor any, cfg Config) *App {
	t.Helper()
	app := newLock(t, nil, []testComponent{{id: "c", wasm: wasm}},
		[]testTrigger{{component: "c", route: route, executor: executor}})
	return load(t, app, cfg)
}

// do sends a request through h.
func do(t *testing.T, h http.Handler, method, target, body string, mod ...func(*http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	for _, m := range mod {
		m(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func expect(t *testing.T, w *httptest.ResponseRecorder, status int, body string) {
	t.Helper()
	if w.Code != status || w.Body.String() != body {
		t.Fatalf("got %d %q, want %d %q", w.Code, w.Body.String(), status, body)
	}
}

// logTo returns a context whose containerd logger writes to buf.
func logTo(buf io.Writer) context.Context {
	l := logrus.New()
	l.SetOutput(buf)
	l.SetLevel(logrus.DebugLevel)
	return log.WithLogger(context.Background(), logrus.NewEntry(l))
}

// withLog makes a request log to buf.
func withLog(buf io.Writer) func(*http.Request) {
	return func(r *http.Request) { *r = *r.WithContext(logTo(buf)) }
}

// writeLock writes lockJSON (marshalled) as a spin.lock in a temp dir and
// reads it back through appdir.ReadLock, as the shim's app process does.
func writeLock(t *testing.T, lockJSON any) *lock.LockedApp {
	t.Helper()
	data, err := json.Marshal(lockJSON)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "spin.lock")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	app, err := appdir.ReadLock(path)
	if err != nil {
		t.Fatalf("appdir.ReadLock: %v\n%s", err, data)
	}
	return app
}

// loadLock loads a hand-written local lock (file:// sources): the errors of
// appdir.FromLocal and of Load alike come back as Load's.
func loadLock(tb testing.TB, ctx context.Context, app *lock.LockedApp, cfg Config) (*App, error) {
	tb.Helper()
	local, err := appdir.FromLocal(app)
	if err != nil {
		return nil, err
	}
	return Load(ctx, local, cfg)
}
