package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/engine"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/e2e/harness"
	"github.com/spinoci/spinoci/test/testio"
)

// The JavaScript component test apps (test/apps/js-*), built by
// test/apps/build-js.sh.
const (
	appJSHello = "js-hello.wasm"
	appJSSpin  = "js-spin.wasm"
	appJSSDK2  = "js-sdk2.wasm" // the Spin 2-era SDK, @fermyon/spin-sdk@2.0.0
)

const repoComponents = "e2e/components:v1"

// componentFixture is one daemon (sharing the compiled-module cache) with
// the components app pulled, and two loopback servers: one the app may
// reach, one it may not.
type componentFixture struct {
	reg              *harness.Registry
	d                *harness.Containerd
	allowed, denied  *httptest.Server
	deniedRequests   *atomic.Int64
	ref              string
	allowedAuthority string
}

// TestComponents runs the WebAssembly component apps (Spin 3 JS toolchain)
// through ctr against each pinned containerd.
func TestComponents(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	app := componentsApp(t, paths)
	warmComponentCache(t, app)
	for _, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			f := setupComponents(t, v, app)
			t.Run("routes, variables, outbound, streaming, trap; key-value survives a restart with /.spin mounted",
				func(t *testing.T) { testComponentsApp(t, f) })
		})
	}
}

// componentsApp is the local lock of the components app:
//
//	/...                      → js-hello (itty-router: "/", "/hello/:name", else 404)
//	/kv/... /var/... /fetch   → js-spin  (key_value_stores ["default"],
//	/big /slow /echo /trap       allowed_outbound_hosts = the "allowed" server,
//	/throw /loop                 config greeting = "Hello, {{ who }}!", upstream = "{{ upstream }}")
//	/sdk2/...                 → js-sdk2  (key_value_stores ["default"], config greeting as js-spin)
//
// The allowed outbound host is filled in by pushComponentsApp (it changes the
// lock, not the wasm: the compile cache is unaffected).
func componentsApp(t *testing.T, paths harness.Paths) *lock.LockedApp {
	t.Helper()
	raw := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	src := func(name string) lock.ComponentSource {
		path := paths.App(name)
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("test app %s: %v (run `make testapps`: it needs node and npm)", name, err)
		}
		return lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Source: appdir.FileURI(path)}}
	}
	who, upstream := "nobody", "http://127.0.0.1:1/"
	app := &lock.LockedApp{
		SpinLockVersion: 1,
		Metadata: map[string]json.RawMessage{
			"name":    raw("e2e-components"),
			"version": raw("1.0.0"),
			"trigger": raw(map[string]string{"type": "http", "base": "/"}),
		},
		Variables: map[string]lock.Variable{"who": {Default: &who}, "upstream": {Default: &upstream}},
		Components: []lock.Component{
			{ID: "js-hello", Source: src(appJSHello)},
			{ID: "js-spin", Source: src(appJSSpin),
				Config: map[string]string{"greeting": "Hello, {{ who }}!", "upstream": "{{ upstream }}"},
				Metadata: map[string]json.RawMessage{
					"key_value_stores":       raw([]string{"default"}),
					"allowed_outbound_hosts": raw([]string{}),
				}},
			{ID: "js-sdk2", Source: src(appJSSDK2),
				Config:   map[string]string{"greeting": "Hello, {{ who }}!"},
				Metadata: map[string]json.RawMessage{"key_value_stores": raw([]string{"default"})}},
		},
	}
	routes := map[string]string{"/...": "js-hello", "/sdk2/...": "js-sdk2"}
	for _, r := range []string{"/kv/...", "/var/...", "/fetch", "/big", "/slow", "/echo", "/trap", "/throw", "/loop"} {
		routes[r] = "js-spin"
	}
	for route, comp := range routes {
		app.Triggers = append(app.Triggers, lock.Trigger{
			ID: "trigger-" + strings.Trim(strings.ReplaceAll(route, "/", "-"), "-."), TriggerType: "http",
			TriggerConfig: raw(map[string]any{"component": comp, "route": route}),
		})
	}
	return app
}

// warmComponentCache compiles the app's components into the cache the test
// daemons share, so that no shim compiles a 12 MB component while ctr waits
// (tens of seconds on a busy 2-core machine; once per machine).
func warmComponentCache(t *testing.T, app *lock.LockedApp) {
	t.Helper()
	start := time.Now()
	local, err := appdir.FromLocal(app)
	if err != nil {
		t.Fatalf("components app: %v", err)
	}
	a, err := engine.Load(context.Background(), local, engine.Config{CacheDir: harness.SharedModuleCacheDir()})
	if err != nil {
		t.Fatalf("compile the components into %s: %v", harness.SharedModuleCacheDir(), err)
	}
	a.Close()
	t.Logf("components compiled (or found) in %s in %v", harness.SharedModuleCacheDir(), time.Since(start).Round(time.Millisecond))
}

func setupComponents(t *testing.T, version string, app *lock.LockedApp) *componentFixture {
	t.Helper()
	f := &componentFixture{
		reg:            harness.StartRegistry(t),
		d:              harness.StartContainerdWith(t, version, harness.ContainerdOptions{ModuleCacheDir: harness.SharedModuleCacheDir()}),
		deniedRequests: new(atomic.Int64),
	}
	f.allowed = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "upstream got %s %s x-from=%s", r.Method, r.URL.RequestURI(), r.Header.Get("X-From"))
	}))
	t.Cleanup(f.allowed.Close)
	f.denied = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.deniedRequests.Add(1)
		fmt.Fprint(w, "must not be reached")
	}))
	t.Cleanup(f.denied.Close)
	f.allowedAuthority = strings.TrimPrefix(f.allowed.URL, "http://")

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	pushComponentsApp(ctx, t, f.reg.Host, app, f.allowedAuthority)
	f.ref = harness.Ref(f.reg.Host, repoComponents)
	f.d.Pull(f.ref)
	return f
}

// pushComponentsApp pushes app as repoComponents with js-spin allowed to
// reach allowedAuthority ("127.0.0.1:port").
func pushComponentsApp(ctx context.Context, t *testing.T, registryHost string, app *lock.LockedApp, allowedAuthority string) {
	t.Helper()
	pushed := *app
	pushed.Components = append([]lock.Component(nil), app.Components...)
	pushed.Components[1].Metadata = map[string]json.RawMessage{
		"key_value_stores":       json.RawMessage(`["default"]`),
		"allowed_outbound_hosts": json.RawMessage(fmt.Sprintf(`["http://%s"]`, allowedAuthority)),
	}
	if _, err := harness.Push(ctx, registryHost, repoComponents, &pushed, artifact.PackOptions{}); err != nil {
		t.Fatal(err)
	}
}

func testComponentsApp(t *testing.T, f *componentFixture) {
	d := f.d.For(t)
	id := "components"
	// Not t.TempDir(): its name holds commas, which ctr --mount cannot take.
	stateDir := harness.TempDir(t, "kv")
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	logPath := filepath.Join(t.TempDir(), "app.log")
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	env := []string{"SPIN_VARIABLE_WHO=spinoci", "SPIN_VARIABLE_UPSTREAM=" + f.allowed.URL + "/from-variable"}
	start := time.Now()
	runSpin1(t, d, f.ref, id, addr, stateDir, logPath, env...)
	t.Logf("ctr run -d to serving: %v", time.Since(start).Round(time.Millisecond))

	check(t, addr,
		// js-hello, and the Spin router in front of both components.
		exchange{path: "/", status: 200, want: "hello universe"},
		exchange{path: "/hello/containerd", status: 200, want: `"Hello, containerd!"`},
		exchange{path: "/nope", status: 404},
		exchange{path: "/.well-known/spin/health", status: 200, want: "OK"},
		// Key-value (the "default" store in the directory mounted at /.spin).
		exchange{path: "/kv/incr/visits", status: 200, want: "1\n"},
		exchange{path: "/kv/incr/visits", status: 200, want: "2\n"},
		exchange{path: "/kv/open/other", status: 403, want: "error: access-denied\n"},
		// Variables from SPIN_VARIABLE_*.
		exchange{path: "/var/greeting", status: 200, want: "Hello, spinoci!"},
		// Outbound: the allowed server (URL from the query and from a
		// variable); the other one is denied inside the guest.
		exchange{path: "/fetch?url=" + f.allowed.URL + "/direct", status: 200, want: "status=201\nupstream got GET /direct x-from=js-spin"},
		exchange{path: "/fetch", status: 200, want: "status=201\nupstream got GET /from-variable x-from=js-spin"},
		exchange{path: "/fetch?url=" + f.denied.URL + "/", status: 502, contains: []string{"fetch failed"}},
		// A request body echoed back.
		exchange{method: http.MethodPost, path: "/echo", send: strings.Repeat("echo me ", 100000), status: 200, want: strings.Repeat("echo me ", 100000)},
		// A trap, then the next request is fine.
		exchange{path: "/trap", status: 500},
		exchange{path: "/", status: 200, want: "hello universe"},
		exchange{path: "/throw", status: 500},
		exchange{path: "/kv/incr/visits", status: 200, want: "3\n"},
		// The Spin 2-era SDK: its Kv shares the "default" store.
		exchange{method: http.MethodPut, path: "/sdk2/x", status: 200, want: "hello from spin-sdk 2 PUT /sdk2/x\n"},
		exchange{path: "/sdk2/kv", status: 200, want: "counter=1\n"},
		exchange{path: "/sdk2/var", status: 200, want: "greeting=Hello, spinoci!\n"},
	)
	if n := f.deniedRequests.Load(); n != 0 {
		t.Errorf("the server not in allowed_outbound_hosts got %d requests", n)
	}
	checkStreamed(t, "http://"+addr+"/big?mb=50", 50<<20)
	// The container log has the guest's stderr.
	for _, want := range []string{"js-spin: uncaught error"} {
		if err := waitFor(5*time.Second, func() bool { return strings.Contains(readFile(logPath), want) }); err != nil {
			t.Errorf("the container log lacks %q:\n%s", want, readFile(logPath))
		}
	}
	stopSpin1(t, d, id)

	// A new container with the same directory at /.spin sees the counter.
	// It has a short guest time limit (2 s): an endless loop is stopped; a
	// stream slower than that is not (waiting is not guest time). Its
	// instance pools are renewed after 3 s idle.
	logPath = filepath.Join(t.TempDir(), "app.log")
	runSpin1(t, d, f.ref, id, addr, stateDir, logPath, append(env, engine.GuestTimeLimitEnv+"=2s", "SPINOCI_POOL_RENEW_IDLE=3s")...)
	check(t, addr,
		exchange{path: "/kv/incr/visits", status: 200, want: "4\n"},
		exchange{path: "/kv/keys", status: 200, want: "counter\nvisits\n"},
		exchange{path: "/loop", status: 500},
		exchange{path: "/slow?chunks=10&ms=300", status: 200, want: strings.Repeat("x", 10*64<<10)},
		exchange{path: "/", status: 200, want: "hello universe"},
	)
	if err := waitFor(5*time.Second, func() bool { return strings.Contains(readFile(logPath), "over the limit of 2s") }); err != nil {
		t.Errorf("the container log does not say why /loop was stopped:\n%s", readFile(logPath))
	}
	checkPoolRenewed(t, taskPid(t, d, id), addr, exchange{path: "/", status: 200, want: "hello universe"})
	stopSpin1(t, d, id)
}

// checkPoolRenewed sends bursts of concurrent requests x to the app process
// pid, serving at addr with SPINOCI_POOL_RENEW_IDLE=3s: the memory its
// instance pool kept from them is given back once it is idle, and it
// serves on.
func checkPoolRenewed(t *testing.T, pid int, addr string, x exchange) {
	t.Helper()
	rssAnon := func() int64 {
		n, err := testio.ProcStatusBytes(pid, "RssAnon")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for range 3 {
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() { check(t, addr, x) })
		}
		wg.Wait()
	}
	busy := rssAnon()
	if err := waitFor(30*time.Second, func() bool { return busy-rssAnon() >= 8<<20 }); err != nil {
		t.Errorf("the app's anonymous memory stays at %d MiB (%d MiB after the bursts): the idle pool was not renewed", rssAnon()>>20, busy>>20)
	}
	t.Logf("app's anonymous memory: %d MiB after the bursts, %d MiB idle", busy>>20, rssAnon()>>20)
	check(t, addr, x)
}

// checkStreamed downloads url and checks it is size bytes of 'x'.
func checkStreamed(t *testing.T, url string, size int64) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{Proxy: nil}}
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var n int64
	buf := make([]byte, 64<<10)
	for {
		k, err := resp.Body.Read(buf)
		for _, b := range buf[:k] {
			if b != 'x' {
				t.Fatalf("GET %s: byte %d is %q, want 'x'", url, n, b)
			}
			n++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("GET %s: after %d bytes: %v", url, n, err)
		}
	}
	t.Logf("GET %s → %d, %d bytes in %v", url, resp.StatusCode, n, time.Since(start).Round(time.Millisecond))
	if resp.StatusCode != 200 || n != size {
		t.Errorf("GET %s → %d with %d bytes, want 200 with %d", url, resp.StatusCode, n, size)
	}
}
