package engine

import (
	"net/http"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/test/testio"
)

// TestSpinRust serves the Rust Spin 1.x module (plain std, wit-bindgen 0.2
// ABI by hand): the spin-* headers reach it, its response headers and body
// come back, its stdout is forwarded, and a trap is a 500 after which the
// next request is served again.
func TestSpinRust(t *testing.T) {
	stdout := &testio.Buffer{}
	a := singleApp(t, builtApp(t, "spin-rust.wasm"), "/rust/...", nil, Config{Stdout: stdout, CacheDir: t.TempDir()})
	h := a.Handler()
	w := do(t, h, "GET", "/rust/a/b?x=1", "")
	expect(t, w, 200, "spin-rust: route=/rust path-info=/a/b method=GET\n")
	if ct := w.Header().Get("Content-Type"); ct != "text/plain" {
		t.Errorf("content-type %q, want text/plain", ct)
	}
	expect(t, do(t, h, "PUT", "/rust", ""), 200, "spin-rust: route=/rust path-info= method=PUT\n")
	// A body and many headers: the guest takes ownership of every argument
	// block the host allocated and frees them.
	many := func(r *http.Request) {
		for _, k := range []string{"A", "B", "C", "D", "E", "F", "G", "H"} {
			r.Header.Set("X-"+k, strings.Repeat(k, 100))
		}
	}
	expect(t, do(t, h, "POST", "/rust/post", strings.Repeat("body ", 1000), many), 200,
		"spin-rust: route=/rust path-info=/post method=POST\n")

	logs := &testio.Buffer{}
	expect(t, do(t, h, "GET", "/rust/x/trap", "", withLog(logs)), 500, "")
	if !strings.Contains(logs.String(), `component=c`) {
		t.Errorf("trap not logged with the component id: %s", logs)
	}
	expect(t, do(t, h, "OPTIONS", "/rust/ok", ""), 200, "spin-rust: route=/rust path-info=/ok method=OPTIONS\n")

	a.Close() // flushes guest output
	out := stdout.String()
	for _, want := range []string{"spin-rust handled /rust/a/b?x=1\n", "spin-rust handled /rust/ok\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("guest stdout lacks %q: %q", want, out)
		}
	}
	if strings.Contains(out, "/rust/x/trap") {
		t.Errorf("the trapping request printed (it panics first): %q", out)
	}
}
