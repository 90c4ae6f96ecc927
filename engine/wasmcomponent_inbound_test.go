package engine

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	wasmcomp "github.com/spinoci/spinoci/engine/component"
)

// watComponent converts testdata/components/name.wat to a wasm file.
func watComponent(t *testing.T, name string) string {
	t.Helper()
	wat, err := os.ReadFile(filepath.Join("testdata", "components", name+".wat"))
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := wasmcomp.Wat2Wasm(string(wat))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name+".wasm")
	if err := os.WriteFile(p, wasm, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestInboundHTTPComponent serves a component exporting
// fermyon:spin/inbound-http (a componentized Spin 1.x module) that imports
// interfaces the host does not implement: it instantiates, gets the Spin
// executor's request (uri, headers with the spin-* ones), its response is
// applied, and calling an unimplemented import traps naming it (500, logged).
func TestInboundHTTPComponent(t *testing.T) {
	a := singleApp(t, watComponent(t, "inbound-http"), "/inbound/...", nil, Config{})
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
	for method, want := range map[string]string{
		http.MethodDelete: "spin:key-value/key-value@3.0.0#[static]store.open is not supported by containerd-shim-spinoci-v1",
		http.MethodPut:    "fermyon:spin/config#get-config is not supported by containerd-shim-spinoci-v1",
	} {
		var logs syncBuffer
		w := do(t, a.Handler(), method, "/inbound/x", "", withLog(&logs))
		if w.Code != 500 || !strings.Contains(logs.String(), want) {
			t.Errorf("%s = %d, log %q; want 500 and a log naming %q", method, w.Code, logs.String(), want)
		}
	}
	expect(t, do(t, a.Handler(), http.MethodPost, "/inbound/after", "body"), 200, "/inbound/after")
	if w := do(t, a.Handler(), "PROPFIND", "/inbound/x", ""); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("PROPFIND = %d, want 405", w.Code)
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
	var logs syncBuffer
	w := do(t, a.Handler(), http.MethodDelete, "/", "", withLog(&logs))
	want := "spin:key-value/key-value@3.0.0#[static]store.open is not supported by containerd-shim-spinoci-v1"
	if w.Code != 500 || !strings.Contains(logs.String(), want) {
		t.Errorf("DELETE = %d, log %q; want 500 and a log naming %q", w.Code, logs.String(), want)
	}
	if w := do(t, a.Handler(), http.MethodGet, "/", ""); w.Code != http.StatusCreated {
		t.Errorf("GET after the trap = %d, want 201", w.Code)
	}
}
