package wasip2

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/internal/capi"
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
	e := capi.NewEngine()
	t.Cleanup(e.Close)
	c := compileCached(t, e, wasm)
	t.Cleanup(c.Close)
	h, hd := link(t, e, c, cfg)
	if hd.Export == "" {
		t.Fatal("no incoming-handler export")
	}
	return h, hd
}

// compileCached compiles wasm, reusing a serialized copy kept across runs
// next to the engine tests' cache (a 12 MB JS component takes tens of
// seconds to compile).
func compileCached(t *testing.T, e *capi.Engine, wasm []byte) *capi.Component {
	t.Helper()
	h := sha256.New()
	h.Write(wasm)
	h.Write([]byte(capi.ComponentConfigID))
	path := filepath.Join(os.TempDir(), "spinoci-component-cache", "wasip2-test-"+hex.EncodeToString(h.Sum(nil))+".cwasm")
	if c, err := e.DeserializeFile(path); err == nil {
		return c
	}
	c, err := e.Compile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if data, err := c.Serialize(); err == nil && os.MkdirAll(filepath.Dir(path), 0o700) == nil {
		// Written under a temporary name and renamed: a reader never sees
		// a partial file.
		tmp := path + ".tmp"
		if os.WriteFile(tmp, data, 0o600) == nil {
			_ = os.Rename(tmp, path)
		}
	}
	return c
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
