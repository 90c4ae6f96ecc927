package engine

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/testio"
)

// A Spin SDK 1.4/1.5 module (wit-bindgen 0.8: fermyon:spin/inbound-http,
// cabi_realloc, post-return) is served with its request fields, its
// response headers and body, and its fermyon:spin/config and key-value
// imports.
func TestSpinSDK14Module(t *testing.T) {
	a := load(t, sdk14Lock(t, sdk14WAT(t)), Config{StateDir: t.TempDir()})
	w := do(t, a.Handler(), http.MethodPost, "/sdk14/x?q=1", "the body", func(r *http.Request) { r.Header.Set("X-Test", "yes") })
	expect(t, w, http.StatusCreated, "hello 1.4|/sdk14/x?q=1|the body")
	if got := w.Header().Get("X-Test"); got != "yes" {
		t.Errorf("echoed header x-test = %q, want yes", got)
	}
	if got := w.Header().Get("Spin-Path-Info"); got != "/x" {
		t.Errorf("echoed header spin-path-info = %q, want /x", got)
	}
	expect(t, do(t, a.Handler(), http.MethodGet, "/sdk14/", ""), http.StatusOK, "hello 1.4|/sdk14/|")
}

// sdk14WAT is the Spin SDK 1.4 module's text.
func sdk14WAT(t *testing.T) string {
	t.Helper()
	wat, err := os.ReadFile(filepath.Join("testdata", "spin-sdk14.wat"))
	if err != nil {
		t.Fatal(err)
	}
	return string(wat)
}

// sdk14Lock is a Spin 1.x lock (version 0) serving the module of wat on
// /sdk14/..., with a key-value store and the config key "greeting".
func sdk14Lock(t *testing.T, wat string) *lock.LockedApp {
	t.Helper()
	return writeLock(t, map[string]any{
		"spin_lock_version": 0,
		"metadata":          map[string]any{"name": "sdk14", "trigger": map[string]any{"base": "/", "type": "http"}},
		"triggers": []any{map[string]any{"id": "t", "trigger_type": "http",
			"trigger_config": map[string]any{"component": "sdk14", "route": "/sdk14/...", "executor": nil}}},
		"components": []any{map[string]any{
			"id":       "sdk14",
			"source":   map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(watFile(t, wat))},
			"metadata": map[string]any{"key_value_stores": []string{"default"}},
			"config":   map[string]string{"greeting": "hello 1.4"},
		}},
	})
}

// Its fermyon:spin imports this host does not implement link and trap
// naming themselves; a module without cabi_realloc is refused naming it.
func TestSpinSDK14Unsupported(t *testing.T) {
	wat, err := os.ReadFile(filepath.Join("testdata", "spin-sdk14.wat"))
	if err != nil {
		t.Fatal(err)
	}
	// fermyon:spin/mqtt: an interface Spin 1.x modules never had, so no
	// host implements it for them.
	publish := strings.Replace(string(wat), `(import "fermyon:spin/redis" "publish"`, `(import "fermyon:spin/mqtt" "publish"`, 1)
	publish = strings.Replace(publish, "(call $get-config (i32.const 1024) (i32.const 8) (i32.const 256))",
		"(call $redis-publish (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 256))", 1)
	a := singleApp(t, watFile(t, publish), "/...", nil, Config{StateDir: t.TempDir()})
	logs := &testio.Buffer{}
	expect(t, do(t, a.Handler(), http.MethodGet, "/", "", withLog(logs)), http.StatusInternalServerError, "")
	if !strings.Contains(logs.String(), "fermyon:spin/mqtt#publish is not supported by containerd-shim-spinoci-v1") {
		t.Errorf("trap message not logged: %s", logs)
	}
	noRealloc := strings.Replace(string(wat), `(export "cabi_realloc")`, "", 1)
	app := newLock(t, nil, []testComponent{{id: "c", wasm: watFile(t, noRealloc)}}, []testTrigger{{component: "c", route: "/..."}})
	if _, err := loadLock(t, t.Context(), app, Config{}); err == nil || !strings.Contains(err.Error(), `does not export the function "cabi_realloc"`) {
		t.Errorf("Load of a module without cabi_realloc: %v", err)
	}
}
