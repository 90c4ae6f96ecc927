package engine

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/testio"
)

// jsSpinLock is the local lock of test/apps/js-spin on "/...": the
// "default" key-value store, variables greeting (default) and upstream,
// and outbound HTTP to allowedOutbound.
func jsSpinLock(t *testing.T, allowedOutbound []string) *lock.LockedApp {
	t.Helper()
	comp := map[string]any{
		"id":     "js-spin",
		"source": map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(builtApp(t, "js-spin.wasm"))},
		"metadata": map[string]any{
			"key_value_stores":       []string{"default"},
			"allowed_outbound_hosts": allowedOutbound,
		},
		"config": map[string]string{"greeting": "Hello, {{ who }}!", "upstream": "{{ upstream }}"},
	}
	return writeLock(t, map[string]any{
		"spin_lock_version": 1,
		"metadata":          map[string]any{"name": "js-spin", "trigger": map[string]any{"base": "/", "type": "http"}},
		"variables":         map[string]any{"who": map[string]any{"default": "nobody"}, "upstream": map[string]any{"default": "http://127.0.0.1:1/"}},
		"triggers": []any{map[string]any{"id": "t", "trigger_type": "http",
			"trigger_config": map[string]any{"component": "js-spin", "route": "/..."}}},
		"components": []any{comp},
	})
}

// serveJSSpin loads js-spin and serves it on a loopback listener.
func serveJSSpin(t *testing.T, cfg Config, allowedOutbound ...string) string {
	t.Helper()
	cfg.CacheDir = sharedComponentCache()
	a := load(t, jsSpinLock(t, allowedOutbound), cfg)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func get(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, url, err)
	}
	return resp.StatusCode, string(b)
}

func want(t *testing.T, method, url, body string, status int, wantBody string) {
	t.Helper()
	code, got := get(t, method, url, body)
	if code != status || got != wantBody {
		t.Errorf("%s %s = %d %q, want %d %q", method, url, code, got, status, wantBody)
	}
}

func TestJSSpinKeyValueAndVariables(t *testing.T) {
	state := t.TempDir()
	url := serveJSSpin(t, Config{StateDir: state, Env: []string{"SPIN_VARIABLE_WHO=spinoci"}})
	want(t, "GET", url+"/", "", 200, "js-spin\n")
	want(t, "GET", url+"/kv/incr/visits", "", 200, "1\n")
	want(t, "GET", url+"/kv/incr/visits", "", 200, "2\n")
	want(t, "GET", url+"/kv/keys", "", 200, "visits\n")
	want(t, "GET", url+"/kv/open/secret", "", 403, "error: access-denied\n")
	want(t, "GET", url+"/var/greeting", "", 200, "Hello, spinoci!")
	code, body := get(t, "GET", url+"/var/nope", "")
	if code != 404 || !strings.HasPrefix(body, "error: undefined: ") {
		t.Errorf("GET /var/nope = %d %q, want 404 error: undefined", code, body)
	}
	// The store is Spin's SQLite file in the state dir: a new App sees it.
	if _, err := os.Stat(filepath.Join(state, KVFileName)); err != nil {
		t.Fatal(err)
	}
	url = serveJSSpin(t, Config{StateDir: state})
	want(t, "GET", url+"/kv/incr/visits", "", 200, "3\n")
	want(t, "GET", url+"/var/greeting", "", 200, "Hello, nobody!")
}

func TestJSSpinOutbound(t *testing.T) {
	target, hostPort := outboundTarget(t)
	url := serveJSSpin(t, Config{}, "http://"+hostPort)
	want(t, "GET", url+"/fetch?url="+target.URL+"/echo", "", 200, "status=201\ngot GET /echo body=")
	// Not in allowed_outbound_hosts: the fetch fails inside the guest.
	code, body := get(t, "GET", url+"/fetch?url=http://127.0.0.1:1/", "")
	if code != 502 || !strings.HasPrefix(body, "fetch failed") {
		t.Errorf("denied fetch = %d %q, want 502 fetch failed", code, body)
	}
	denied := serveJSSpin(t, Config{})
	code, body = get(t, "GET", denied+"/fetch?url="+target.URL+"/echo", "")
	if code != 502 || !strings.HasPrefix(body, "fetch failed") {
		t.Errorf("fetch without allowed_outbound_hosts = %d %q, want 502 fetch failed", code, body)
	}
	// The URL from the "upstream" variable.
	up := serveJSSpin(t, Config{Env: []string{"SPIN_VARIABLE_UPSTREAM=" + target.URL + "/from-variable"}}, "http://"+hostPort)
	want(t, "GET", up+"/fetch", "", 200, "status=201\ngot GET /from-variable body=")
}

func TestJSSpinStreaming(t *testing.T) {
	url := serveJSSpin(t, Config{})
	// 50 MiB streamed out.
	resp, err := http.Get(url + "/big?mb=50")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || n != 50<<20 {
		t.Fatalf("GET /big = %d, %d bytes, %v; want 200 and %d bytes", resp.StatusCode, n, err, 50<<20)
	}
	// A slow stream: the first chunk arrives before the last is written.
	start := time.Now()
	resp, err = http.Get(url + "/slow?chunks=4&ms=300")
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 1)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	firstAt := time.Since(start)
	n, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	total := time.Since(start)
	if err != nil || n+1 != 4*64<<10 {
		t.Fatalf("GET /slow: %d bytes, %v", n+1, err)
	}
	t.Logf("slow stream: first byte after %v, all after %v", firstAt, total)
	if total-firstAt < 600*time.Millisecond {
		t.Errorf("the slow stream was not streamed: first byte after %v, end after %v", firstAt, total)
	}
	// A request body echoed back (larger than one read).
	payload := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	code, body := get(t, "POST", url+"/echo", payload)
	if code != 200 || body != payload {
		t.Errorf("POST /echo = %d, %d bytes; want 200 and the %d bytes sent", code, len(body), len(payload))
	}
}

func TestJSSpinTrapThenNextRequest(t *testing.T) {
	var stderr testio.Buffer
	a := load(t, jsSpinLock(t, nil), Config{CacheDir: sharedComponentCache(), Stderr: &stderr})
	// llm.infer of a model the component does not list in ai_models
	// answers Spin's invalid-input error (no trap); the JS handler lets it
	// escape, so the request fails with 500 and the next one is served.
	if w := do(t, a.Handler(), "GET", "/trap", ""); w.Code != 500 {
		t.Errorf("GET /trap = %d, want 500", w.Code)
	}
	expect(t, do(t, a.Handler(), "GET", "/", ""), 200, "js-spin\n")
	// An exception escaping the handler: the JS runtime answers 500 itself
	// and prints the error to stderr.
	if w := do(t, a.Handler(), "GET", "/throw", ""); w.Code != 500 {
		t.Errorf("GET /throw = %d, want 500", w.Code)
	}
	if err := waitUntil(5*time.Second, func() bool { return strings.Contains(stderr.String(), "js-spin: uncaught error") }); err != nil {
		t.Errorf("guest stderr %q lacks the uncaught error", stderr.String())
	}
	expect(t, do(t, a.Handler(), "GET", "/", ""), 200, "js-spin\n")
}

// waitUntil polls cond (guest output reaches its writer asynchronously).
func waitUntil(d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func TestJSSpinNotListedStore(t *testing.T) {
	app := jsSpinLock(t, nil)
	app.Components[0].Metadata["key_value_stores"] = json.RawMessage(`[]`)
	a := load(t, app, Config{CacheDir: sharedComponentCache()})
	expect(t, do(t, a.Handler(), "GET", "/kv/incr/x", ""), 403, "error: access-denied\n")

}

func TestJSSpinGuestTimeLimit(t *testing.T) {
	a := load(t, jsSpinLock(t, nil), Config{CacheDir: sharedComponentCache(), Env: []string{GuestTimeLimitEnv + "=1s"}})
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	// An endless loop is stopped after about the limit; the log says why.
	var logs testio.Buffer
	start := time.Now()
	w := do(t, a.Handler(), "GET", "/loop", "", withLog(&logs))
	took := time.Since(start)
	if w.Code != 500 || !strings.Contains(logs.String(), "over the limit of 1s") {
		t.Errorf("GET /loop = %d after %v, log %q; want 500 and the limit named", w.Code, took, logs.String())
	}
	if took < time.Second || took > 5*time.Second {
		t.Errorf("GET /loop ended after %v, want about 1s", took)
	}
	want(t, "GET", srv.URL+"/", "", 200, "js-spin\n")
	// Time spent waiting in the host does not count: a stream slower than
	// the limit completes.
	code, body := get(t, "GET", srv.URL+"/slow?chunks=5&ms=300", "")
	if code != 200 || len(body) != 5*64<<10 {
		t.Errorf("GET /slow (1.5 s) under a 1 s guest limit = %d, %d bytes", code, len(body))
	}
}

func TestGuestTimeLimitEnv(t *testing.T) {
	for env, want := range map[string]time.Duration{"": DefaultGuestTimeLimit, "0": 0, "250ms": 250 * time.Millisecond} {
		var e []string
		if env != "" {
			e = []string{"OTHER=1", GuestTimeLimitEnv + "=" + env}
		}
		if got, err := guestTimeLimit(e); err != nil || got != want {
			t.Errorf("%q: got %v, %v; want %v", env, got, err, want)
		}
	}
	_, err := loadLock(t, context.Background(), jsSpinLock(t, nil), Config{CacheDir: sharedComponentCache(), Env: []string{GuestTimeLimitEnv + "=soon"}})
	if err == nil || !strings.Contains(err.Error(), GuestTimeLimitEnv+`="soon"`) {
		t.Errorf("Load with a bad %s: %v", GuestTimeLimitEnv, err)
	}
}

// TestJSSDK2 runs an app built with the Spin 2-era JS SDK
// (@fermyon/spin-sdk@2.0.0, wasi:http@0.2.0): Kv and Variables.
func TestJSSDK2(t *testing.T) {
	app := newLock(t, nil, []testComponent{{id: "sdk2", wasm: builtApp(t, "js-sdk2.wasm")}},
		[]testTrigger{{component: "sdk2", route: "/sdk2/..."}})
	app.Components[0].Metadata = map[string]json.RawMessage{"key_value_stores": json.RawMessage(`["default"]`)}
	app.Components[0].Config = map[string]string{"greeting": "hi from config"}
	a := load(t, app, Config{CacheDir: sharedComponentCache(), StateDir: t.TempDir()})
	hd := a.Handler()
	expect(t, do(t, hd, "POST", "/sdk2/x", ""), 200, "hello from spin-sdk 2 POST /sdk2/x\n")
	expect(t, do(t, hd, "GET", "/sdk2/kv", ""), 200, "counter=1\n")
	expect(t, do(t, hd, "GET", "/sdk2/kv", ""), 200, "counter=2\n")
	expect(t, do(t, hd, "GET", "/sdk2/var", ""), 200, "greeting=hi from config\n")
}
