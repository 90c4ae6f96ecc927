package wasip2

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/component"
)

// appsDir is where `make testapps` puts the built test apps.
func appsDir() string {
	if d := os.Getenv("SPINOCI_APPS_DIR"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "build", "apps")
}

// jsHandler compiles a test app built by `make testapps`, skipping when it
// has not been built.
func jsHandler(t *testing.T, name string, cfg Config) (*Host, *Handler) {
	t.Helper()
	wasm, err := os.ReadFile(filepath.Join(appsDir(), name))
	if err != nil {
		t.Skipf("%s not built (make testapps): %v", name, err)
	}
	e := component.NewEngine()
	t.Cleanup(e.Close)
	c, err := e.Compile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	l := e.NewLinker()
	t.Cleanup(l.Close)
	h := NewHost(cfg)
	if err := h.Define(l); err != nil {
		t.Fatal(err)
	}
	export, ok := IncomingHandlerExport(c)
	if !ok {
		t.Fatal("no incoming-handler export")
	}
	return h, &Handler{Engine: e, Linker: l, Component: c, Export: export}
}

func serveOne(t *testing.T, h *Host, hd *Handler, req *http.Request) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	if _, err := h.Serve(context.Background(), hd, rec, req, nil); err != nil {
		t.Fatalf("serve %s: %v", req.URL, err)
	}
	return rec.Result()
}

func TestJSHello(t *testing.T) {
	h, hd := jsHandler(t, "js-hello.wasm", Config{})
	for path, want := range map[string]string{"/": "hello universe", "/hello/spin": "Hello, spin!"} {
		resp := serveOne(t, h, hd, httptest.NewRequest(http.MethodGet, path, nil))
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s = %d %q, want 200 with %q", path, resp.StatusCode, body, want)
		}
	}
}
