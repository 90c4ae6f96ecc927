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
	"github.com/spinoci/spinoci/test/testwasm"
)

// watComponent converts testdata/components/name.wat to a wasm file.
func watComponent(t *testing.T, name string) string {
	t.Helper()
	return testwasm.Write(t, filepath.Join(t.TempDir(), name+".wasm"),
		testwasm.AssembleFile(t, filepath.Join("testdata", "components", name+".wat")))
}

// inboundLock is an app of the inbound-http fixture on /inbound/... with a
// config key "greeting" and key-value stores kvStores.
func inboundLock(t *testing.T, kvStores []string) *lock.LockedApp {
	t.Helper()
	comp := map[string]any{
		"id":       "c",
		"source":   map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(watComponent(t, "inbound-http"))},
		"metadata": map[string]any{"key_value_stores": kvStores},
		"config":   map[string]string{"greeting": "Hello, {{ who }}!"},
	}
	return writeLock(t, map[string]any{
		"spin_lock_version": 1,
		"metadata":          map[string]any{"name": "inbound", "trigger": map[string]any{"base": "/", "type": "http"}},
		"variables":         map[string]any{"who": map[string]any{"default": "nobody"}},
		"triggers": []any{map[string]any{"id": "t", "trigger_type": "http",
			"trigger_config": map[string]any{"component": "c", "route": "/inbound/..."}}},
		"components": []any{comp},
	})
}

// TestInboundHTTPComponent serves a component exporting
// fermyon:spin/inbound-http (a componentized Spin 1.x module): it gets the
// Spin executor's request (uri, headers with the spin-* ones) and its
// response is applied; the unversioned config and key-value imports work;
// calling imports the host does not implement (unversioned redis, Spin 3
// key-value) traps naming them (500, logged), and the next request is fine.
func TestInboundHTTPComponent(t *testing.T) {
	state := t.TempDir()
	a := load(t, inboundLock(t, []string{"default"}), Config{StateDir: state, Env: []string{"SPIN_VARIABLE_WHO=spinoci"}})
	w := do(t, a.Handler(), http.MethodGet, "/inbound/a/b?x=1", "", func(r *http.Request) { r.Header.Set("X-Test", "yes") })
	if w.Code != 200 || w.Body.String() != "/inbound/a/b?x=1" {
		t.Fatalf("GET = %d %q, want 200 and the uri", w.Code, w.Body.String())
	}
	for name, want := range map[string]string{
		"X-Test":               "yes",
		"Spin-Path-Info":       "/a/b",
		"Spin-Component-Route": "/inbound",
		"Spin-Full-Url":        "http://example.com/inbound/a/b?x=1",
		"Content-Length":       "16",
	} {
		if got := w.Header().Get(name); got != want {
			t.Errorf("response header %s = %q, want %q (headers %v)", name, got, want, w.Header())
		}
	}
	// fermyon:spin/config: a value, an undefined key (other), a bad key.
	expect(t, do(t, a.Handler(), http.MethodPut, "/inbound/", "greeting"), 200, "Hello, spinoci!")
	if w := do(t, a.Handler(), http.MethodPut, "/inbound/", "nope"); w.Code != 463 || !strings.Contains(w.Body.String(), `"nope"`) {
		t.Errorf("get-config(nope) = %d %q, want error case other (463) naming the key", w.Code, w.Body.String())
	}
	if w := do(t, a.Handler(), http.MethodPut, "/inbound/", "Bad Key"); w.Code != 461 {
		t.Errorf("get-config(Bad Key) = %d %q, want error case invalid-key (461)", w.Code, w.Body.String())
	}
	// fermyon:spin/key-value: open default, set then get.
	expect(t, do(t, a.Handler(), http.MethodPost, "/inbound/", "stored value"), 200, "stored value")
	if _, err := os.Stat(filepath.Join(state, KVFileName)); err != nil {
		t.Errorf("key-value store file: %v", err)
	}
	// fermyon:spin/redis: an address that is not a Redis URL is Spin 1.x's
	// error (451), not a trap.
	if w := do(t, a.Handler(), http.MethodPatch, "/inbound/x", ""); w.Code != 451 {
		t.Errorf("redis incr at a bad address = %d %q, want the error case (451)", w.Code, w.Body.String())
	}
	for method, want := range map[string]string{
		http.MethodDelete: "spin:key-value/key-value@3.0.0#[static]store.open is not supported by containerd-shim-spinoci-v1",
	} {
		var logs testio.Buffer
		w := do(t, a.Handler(), method, "/inbound/x", "", withLog(&logs))
		if w.Code != 500 || !strings.Contains(logs.String(), want) {
			t.Errorf("%s = %d, log %q; want 500 and a log naming %q", method, w.Code, logs.String(), want)
		}
	}
	expect(t, do(t, a.Handler(), http.MethodGet, "/inbound/after", ""), 200, "/inbound/after")
	if w := do(t, a.Handler(), "PROPFIND", "/inbound/x", ""); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("PROPFIND = %d, want 405", w.Code)
	}
}

// TestInboundHTTPKeyValueNotListed: a store not in key_value_stores is
// access-denied (error case 2: 472).
func TestInboundHTTPKeyValueNotListed(t *testing.T) {
	a := load(t, inboundLock(t, []string{}), Config{StateDir: t.TempDir()})
	if w := do(t, a.Handler(), http.MethodPost, "/inbound/", "v"); w.Code != 472 {
		t.Errorf("POST = %d %q, want access-denied (472)", w.Code, w.Body.String())
	}
}

// TestWasiHTTPComponentWithSpin3Import serves a wasi:http@0.2.0 component
// that imports a Spin 3 interface (with a resource) the host lacks: the
// host's wasi:http@0.2.6 still serves its wasi:http imports, and the Spin 3
// function traps naming itself.
func TestWasiHTTPComponentWithSpin3Import(t *testing.T) {
	a := singleApp(t, watComponent(t, "wasi-http-spin3"), "/...", nil, Config{})
	if w := do(t, a.Handler(), http.MethodGet, "/", ""); w.Code != http.StatusCreated {
		t.Fatalf("GET = %d %q, want the guest's 201", w.Code, w.Body.String())
	}
	var logs testio.Buffer
	w := do(t, a.Handler(), http.MethodDelete, "/", "", withLog(&logs))
	want := "spin:key-value/key-value@3.0.0#[static]store.open is not supported by containerd-shim-spinoci-v1"
	if w.Code != 500 || !strings.Contains(logs.String(), want) {
		t.Errorf("DELETE = %d, log %q; want 500 and a log naming %q", w.Code, logs.String(), want)
	}
	if w := do(t, a.Handler(), http.MethodGet, "/", ""); w.Code != http.StatusCreated {
		t.Errorf("GET after the trap = %d, want 201", w.Code)
	}
}
