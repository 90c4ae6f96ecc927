package engine

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// hostApp describes a one-component app of spin-host.wasm on /host/...
type hostApp struct {
	metadata  map[string]any    // component metadata
	config    map[string]string // component config
	variables map[string]any    // app variables
	files     map[string]string // guest path -> host path
}

// hostLock writes the local lock of h and reads it back.
func hostLock(t *testing.T, h hostApp) *lock.LockedApp {
	t.Helper()
	comp := map[string]any{
		"id":       "host",
		"source":   map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(appPath("spin-host.wasm"))},
		"metadata": h.metadata,
		"config":   h.config,
		"env":      map[string]string{"GREETING": "hi from env"},
	}
	var files []any
	for guest, hostPath := range h.files {
		files = append(files, map[string]any{"source": appdir.FileURI(hostPath), "path": guest})
	}
	comp["files"] = files
	return writeLock(t, map[string]any{
		"spin_lock_version": 0,
		"metadata":          map[string]any{"name": "host-test", "trigger": map[string]any{"base": "/", "type": "http"}},
		"variables":         h.variables,
		"triggers": []any{map[string]any{"id": "t", "trigger_type": "http",
			"trigger_config": map[string]any{"component": "host", "route": "/host/...", "executor": nil}}},
		"components": []any{comp},
	})
}

func loadHost(t *testing.T, h hostApp, cfg Config) *App {
	t.Helper()
	cfg.CacheDir = moduleCache
	return load(t, hostLock(t, h), cfg)
}

func TestVariablesAndConfig(t *testing.T) {
	h := hostApp{
		variables: map[string]any{
			"who":     map[string]any{"default": "nobody"},
			"api_key": map[string]any{"secret": true},
			"region":  map[string]any{"default": "eu"},
			"legacy":  map[string]any{},
		},
		config: map[string]string{
			"greeting": "Hello, {{ who }}!",
			"key":      "{{api_key}}",
			"where":    "{{ region }}-{{ legacy }}",
			"plain":    "literal",
		},
	}
	env := []string{"SPIN_VARIABLE_API_KEY=s3cret", "SPIN_VARIABLE_WHO=ignored", "WHO=world", "SPIN_CONFIG_LEGACY=v1"}
	a := loadHost(t, h, Config{Env: env})
	hd := a.Handler()
	// The bare upper-cased name wins over SPIN_VARIABLE_ (the Spin shim
	// copies it over), SPIN_CONFIG_ is Spin 1.x's provider, defaults apply.
	expect(t, do(t, hd, "GET", "/host/config/greeting", ""), 200, "Hello, world!")
	expect(t, do(t, hd, "GET", "/host/config/key", ""), 200, "s3cret")
	expect(t, do(t, hd, "GET", "/host/config/where", ""), 200, "eu-v1")
	expect(t, do(t, hd, "GET", "/host/config/plain", ""), 200, "literal")
	// Error variants: other for an undeclared key, invalid-key for a bad one.
	expect(t, do(t, hd, "GET", "/host/config/missing", ""), 404,
		"error: other: no config value for key \"missing\" in component \"host\"\n")
	w := do(t, hd, "GET", "/host/config/Bad-Key", "")
	if w.Code != 404 || !strings.HasPrefix(w.Body.String(), "error: invalid-key: ") {
		t.Errorf("bad key: %d %q", w.Code, w.Body)
	}
	// The component environment is the WASI environment.
	expect(t, do(t, hd, "GET", "/host/env/GREETING", ""), 200, "hi from env")
}

func TestRequiredVariableMissing(t *testing.T) {
	h := hostApp{variables: map[string]any{"api_key": map[string]any{"secret": true}, "who": map[string]any{"default": "x"}}}
	_, err := loadLock(t, context.Background(), hostLock(t, h), Config{CacheDir: moduleCache, Env: []string{"WHO=y"}})
	if err == nil || !strings.Contains(err.Error(), `variable "api_key" is required`) || !strings.Contains(err.Error(), "SPIN_VARIABLE_API_KEY") {
		t.Fatalf("Load error = %v, want one naming api_key and SPIN_VARIABLE_API_KEY", err)
	}
}

func TestBadTemplatesAndNames(t *testing.T) {
	for name, h := range map[string]hostApp{
		"undeclared variable": {config: map[string]string{"k": "{{ nope }}"}},
		"unterminated":        {config: map[string]string{"k": "{{ who"}, variables: map[string]any{"who": map[string]any{"default": "x"}}},
		"bad config key":      {config: map[string]string{"Bad": "x"}},
		"bad variable name":   {variables: map[string]any{"Who": map[string]any{"default": "x"}}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := loadLock(t, context.Background(), hostLock(t, h), Config{CacheDir: moduleCache}); err == nil {
				t.Fatal("Load succeeded")
			} else {
				t.Log(err)
			}
		})
	}
}

func TestKeyValue(t *testing.T) {
	state := t.TempDir()
	h := hostApp{metadata: map[string]any{"key_value_stores": []string{"default"}}}
	a := loadHost(t, h, Config{StateDir: state})
	hd := a.Handler()
	expect(t, do(t, hd, "GET", "/host/kv/incr/counter", ""), 200, "1\n")
	expect(t, do(t, hd, "GET", "/host/kv/incr/counter", ""), 200, "2\n")
	expect(t, do(t, hd, "GET", "/host/kv/get/missing", ""), 404, "error: no-such-key\n")
	expect(t, do(t, hd, "GET", "/host/kv/exists/missing", ""), 200, "false\n")
	expect(t, do(t, hd, "PUT", "/host/kv/set/greeting", "héllo\x00bytes"), 200, "ok\n")
	expect(t, do(t, hd, "GET", "/host/kv/get/greeting", ""), 200, "héllo\x00bytes")
	expect(t, do(t, hd, "GET", "/host/kv/exists/greeting", ""), 200, "true\n")
	expect(t, do(t, hd, "PUT", "/host/kv/set/empty", ""), 200, "ok\n")
	expect(t, do(t, hd, "GET", "/host/kv/get/empty", ""), 200, "")
	expect(t, do(t, hd, "GET", "/host/kv/keys", ""), 200, "counter\nempty\ngreeting\n")
	expect(t, do(t, hd, "DELETE", "/host/kv/delete/greeting", ""), 200, "ok\n")
	expect(t, do(t, hd, "DELETE", "/host/kv/delete/greeting", ""), 200, "ok\n") // missing: not an error
	expect(t, do(t, hd, "GET", "/host/kv/keys", ""), 200, "counter\nempty\n")
	// Access control and the handle table.
	expect(t, do(t, hd, "GET", "/host/kv/open/secret", ""), 403, "error: access-denied\n")
	expect(t, do(t, hd, "GET", "/host/kv/many", ""), 200, "error: store-table-full\n")

	// The data is in Spin's table in <state>/sqlite_key_value.db and
	// survives the App.
	if _, err := os.Stat(filepath.Join(state, KVFileName)); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = loadHost(t, h, Config{StateDir: state})
	expect(t, do(t, a.Handler(), "GET", "/host/kv/incr/counter", ""), 200, "3\n")
}

func TestKeyValueNotListed(t *testing.T) {
	a := loadHost(t, hostApp{}, Config{StateDir: t.TempDir()})
	expect(t, do(t, a.Handler(), "GET", "/host/kv/open/default", ""), 403, "error: access-denied\n")
	// Without StateDir the store is in memory.
	a = loadHost(t, hostApp{metadata: map[string]any{"key_value_stores": []string{"default"}}}, Config{})
	expect(t, do(t, a.Handler(), "GET", "/host/kv/incr/n", ""), 200, "1\n")
	expect(t, do(t, a.Handler(), "GET", "/host/kv/incr/n", ""), 200, "2\n")
}

func TestKeyValueStateDirUnusable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	h := hostApp{metadata: map[string]any{"key_value_stores": []string{"default"}}}
	_, err := loadLock(t, context.Background(), hostLock(t, h), Config{CacheDir: moduleCache, StateDir: filepath.Join(file, "sub")})
	if err == nil || !strings.Contains(err.Error(), "key-value store") {
		t.Fatalf("Load error = %v, want a key-value store error", err)
	}
}

func TestKeyValueConcurrent(t *testing.T) {
	h := hostApp{metadata: map[string]any{"key_value_stores": []string{"default"}}}
	a := loadHost(t, h, Config{StateDir: t.TempDir()})
	hd := a.Handler()
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				key := fmt.Sprintf("k%d-%d", i, j)
				r := httptest.NewRequest("PUT", "/host/kv/set/"+key, strings.NewReader(key))
				w := httptest.NewRecorder()
				hd.ServeHTTP(w, r)
				if w.Code != 200 {
					errs <- fmt.Sprintf("set %s: %d %q", key, w.Code, w.Body)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	w := do(t, hd, "GET", "/host/kv/keys", "")
	if n := strings.Count(w.Body.String(), "\n"); n != 40 {
		t.Errorf("%d keys after 40 concurrent sets:\n%s", n, w.Body)
	}
}

// outboundTarget starts a loopback HTTP server for outbound requests.
func outboundTarget(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/slow":
			time.Sleep(time.Second)
		default:
			body := make([]byte, r.ContentLength)
			_, _ = r.Body.Read(body)
			w.Header().Set("X-Echo-Method", r.Method)
			w.Header().Set("X-Echo-Header", r.Header.Get("X-Test"))
			w.WriteHeader(201)
			fmt.Fprintf(w, "got %s %s body=%s", r.Method, r.URL.RequestURI(), body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, strings.TrimPrefix(srv.URL, "http://")
}

func outboundReq(url string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("X-Url", url)
		r.Header.Set("X-Out-X-Test", "passed")
	}
}

func TestOutboundHTTP(t *testing.T) {
	_, hostPort := outboundTarget(t)
	for _, tc := range []struct {
		name    string
		meta    map[string]any
		allowed bool
	}{
		{"v1 host:port", map[string]any{"allowed_http_hosts": []string{hostPort}}, true},
		{"v1 url", map[string]any{"allowed_http_hosts": []string{"http://" + hostPort}}, true},
		{"v1 allow-all", map[string]any{"allowed_http_hosts": []string{"insecure:allow-all"}}, true},
		{"v1 host without port", map[string]any{"allowed_http_hosts": []string{"127.0.0.1"}}, false},
		{"v1 empty", map[string]any{}, false},
		{"v2 exact", map[string]any{"allowed_outbound_hosts": []string{"http://" + hostPort}}, true},
		{"v2 any port", map[string]any{"allowed_outbound_hosts": []string{"http://127.0.0.1:*"}}, true},
		{"v2 wrong scheme", map[string]any{"allowed_outbound_hosts": []string{"https://" + hostPort}}, false},
		{"v2 wins over v1", map[string]any{"allowed_outbound_hosts": []string{"redis://*:*"}, "allowed_http_hosts": []string{"insecure:allow-all"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := loadHost(t, hostApp{metadata: tc.meta}, Config{})
			w := do(t, a.Handler(), "POST", "/host/outbound", "payload", outboundReq("http://"+hostPort+"/echo?q=1"))
			if !tc.allowed {
				expect(t, w, 502, "error: destination-not-allowed\n")
				return
			}
			body := w.Body.String()
			if w.Code != 200 || !strings.HasPrefix(body, "status=201\n") || !strings.HasSuffix(body, "\n\ngot POST /echo?q=1 body=payload") ||
				!strings.Contains(body, "x-echo-method: POST\n") || !strings.Contains(body, "x-echo-header: passed\n") {
				t.Fatalf("got %d %q", w.Code, body)
			}
		})
	}
}

func TestOutboundHTTPErrors(t *testing.T) {
	_, hostPort := outboundTarget(t)
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	meta := map[string]any{"allowed_http_hosts": []string{"insecure:allow-all"}}
	a := loadHost(t, hostApp{metadata: meta}, Config{OutboundTimeout: 300 * time.Millisecond})
	hd := a.Handler()
	expect(t, do(t, hd, "GET", "/host/outbound", "", outboundReq("not a url")), 502, "error: invalid-url\n")
	expect(t, do(t, hd, "GET", "/host/outbound", "", outboundReq("ftp://"+hostPort+"/")), 502, "error: invalid-url\n")
	expect(t, do(t, hd, "GET", "/host/outbound", "", outboundReq("http://"+closed+"/")), 502, "error: runtime-error\n")
	expect(t, do(t, hd, "GET", "/host/outbound", "", outboundReq("http://"+hostPort+"/slow")), 502, "error: runtime-error\n")
	// Redirects are handed to the guest, not followed.
	w := do(t, hd, "GET", "/host/outbound", "", outboundReq("http://"+hostPort+"/redirect"))
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "status=302\n") || !strings.Contains(w.Body.String(), "location: /elsewhere\n") {
		t.Fatalf("redirect: %d %q", w.Code, w.Body)
	}
}

func TestOutboundSelf(t *testing.T) {
	for _, tc := range []struct {
		name  string
		meta  map[string]any
		allow bool
	}{
		{"v1 self", map[string]any{"allowed_http_hosts": []string{"self"}}, true},
		{"v2 self", map[string]any{"allowed_outbound_hosts": []string{"http://self"}}, true},
		{"not allowed", map[string]any{"allowed_http_hosts": []string{"example.com"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := loadHost(t, hostApp{metadata: tc.meta}, Config{})
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- a.Serve(ctx, ln) }()
			defer func() { cancel(); <-done }()
			// The guest requests /host/env/GREETING from the app itself.
			req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/host/outbound", nil)
			req.Header.Set("X-Url", "/host/env/GREETING")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			body := string(b)
			if tc.allow {
				if resp.StatusCode != 200 || !strings.HasPrefix(body, "status=200\n") || !strings.HasSuffix(body, "\n\nhi from env") {
					t.Fatalf("self request: %d %q", resp.StatusCode, body)
				}
			} else if resp.StatusCode != 502 || body != "error: destination-not-allowed\n" {
				t.Fatalf("self request: %d %q", resp.StatusCode, body)
			}
		})
	}
}

func TestAllowedHostsInvalid(t *testing.T) {
	for _, meta := range []map[string]any{
		{"allowed_http_hosts": []string{"example.com/path"}},
		{"allowed_http_hosts": []string{"ftp://example.com"}},
		{"allowed_outbound_hosts": []string{"example.com"}},
		{"allowed_outbound_hosts": []string{"*://example.com"}},
		{"allowed_outbound_hosts": []string{"http://example.com:99999"}},
	} {
		_, err := loadLock(t, context.Background(), hostLock(t, hostApp{metadata: meta}), Config{CacheDir: moduleCache})
		if err == nil || !strings.Contains(err.Error(), "allowed_") {
			t.Errorf("%v: Load error = %v", meta, err)
		}
	}
}
