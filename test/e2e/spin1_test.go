package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/engine"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// Repositories of the Spin 1.x conformance suite.
const (
	repoSpin1        = "e2e/spin1:v1"         // per-file data layers
	repoSpin1Archive = "e2e/spin1-archive:v1" // the same app with archive layers
)

// spin1Fixture is one daemon with the conformance app pulled, and the
// loopback HTTP server its "host" component may call.
type spin1Fixture struct {
	reg      *harness.Registry
	d        *harness.Containerd
	outbound *httptest.Server
	// outboundHost is the server's "127.0.0.1:port".
	outboundHost string
}

func (f *spin1Fixture) ref(repo string) string { return harness.Ref(f.reg.Host, repo) }

// TestSpin1Conformance runs the multi-component Spin 1.x app
// (harness.ConformanceApp) through ctr against each pinned containerd.
func TestSpin1Conformance(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	for _, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			f := setupSpin1(t, paths, v)
			t.Run("routes, executors, files, variables, outbound HTTP; key-value survives a restart with /.spin mounted",
				func(t *testing.T) { testSpin1App(t, f) })
			t.Run("a required variable without a value stops the app, naming it",
				func(t *testing.T) { testSpin1MissingVariable(t, f) })
		})
	}
}

func setupSpin1(t *testing.T, paths harness.Paths, version string) *spin1Fixture {
	t.Helper()
	f := &spin1Fixture{reg: harness.StartRegistry(t), d: harness.StartContainerd(t, version)}
	f.outbound = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Outbound-Test", r.Header.Get("X-Test"))
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, "outbound got %s %s body=%s", r.Method, r.URL.RequestURI(), body)
	}))
	t.Cleanup(f.outbound.Close)
	f.outboundHost = strings.TrimPrefix(f.outbound.URL, "http://")

	hostFiles, assetFiles := t.TempDir(), t.TempDir()
	writeFiles(t, hostFiles, map[string]string{
		"static.txt":           strings.Repeat("static content\n", 20), // larger than inline: a data layer
		"small.txt":            "inline\n",                             // inlined in the lock
		"nested/dir/deep.json": `{"deep":true}`,
	})
	writeFiles(t, assetFiles, map[string]string{"asset.css": "body { color: red }\n"})
	app, err := paths.ConformanceApp(harness.ConformanceOptions{HostFiles: hostFiles, AssetFiles: assetFiles, OutboundHost: f.outboundHost})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if _, err := harness.Push(ctx, f.reg.Host, repoSpin1, app, artifact.PackOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := harness.Push(ctx, f.reg.Host, repoSpin1Archive, app, artifact.PackOptions{ArchiveLayers: true}); err != nil {
		t.Fatal(err)
	}
	f.d.Pull(f.ref(repoSpin1))
	f.d.Pull(f.ref(repoSpin1Archive))
	return f
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// exchange is one HTTP request to the app and what must come back.
type exchange struct {
	method, path, send string
	header             http.Header
	status             int
	want               string   // exact body, when not empty
	contains           []string // substrings of the body
}

func check(t *testing.T, addr string, xs ...exchange) {
	t.Helper()
	for _, x := range xs {
		method := x.method
		if method == "" {
			method = http.MethodGet
		}
		resp, err := harness.DoWith(context.Background(), method, "http://"+addr+x.path, x.send, x.header)
		if err != nil {
			t.Errorf("%s %s: %v", method, x.path, err)
			continue
		}
		body := resp.Body
		if len(body) > 300 {
			body = body[:300] + "…"
		}
		what := fmt.Sprintf("%s %s → %d %q", method, x.path, resp.Status, body)
		t.Log(what)
		if resp.Status != x.status {
			t.Errorf("%s: want status %d", what, x.status)
		}
		if x.want != "" && resp.Body != x.want {
			t.Errorf("%s: want body %q", what, x.want)
		}
		for _, s := range x.contains {
			if !strings.Contains(resp.Body, s) {
				t.Errorf("%s: body lacks %q", what, s)
			}
		}
	}
}

// runSpin1 starts the conformance app detached with the KV state dir
// bind-mounted at /.spin and waits until it serves; env adds --env values.
func runSpin1(t *testing.T, d *harness.Containerd, ref, id, addr, stateDir, logPath string, env ...string) {
	t.Helper()
	runSpin1With(t, d, nil, ref, id, addr, stateDir, logPath, env...)
}

// runSpin1With is runSpin1 with extra ctr run flags; it logs how long the
// start with them took.
func runSpin1With(t *testing.T, d *harness.Containerd, extra []string, ref, id, addr, stateDir, logPath string, env ...string) {
	t.Helper()
	flags := append([]string{"--mount", "type=bind,src=" + stateDir + ",dst=/.spin,options=rbind:rw"}, extra...)
	for _, e := range env {
		flags = append(flags, "--env", e)
	}
	start := time.Now()
	d.For(t).RunDetached(t.Context(), ref, id, harness.RunOptions{
		Addr: addr, LogPath: logPath, Flags: flags, Probe: "/.well-known/spin/health", Timeout: 90 * time.Second,
	})
	if len(extra) > 0 {
		t.Logf("ctr run -d %s to serving: %v", strings.Join(extra, " "), time.Since(start).Round(time.Millisecond))
	}
}

// stopSpin1 stops a detached run with SIGTERM and removes it.
func stopSpin1(t *testing.T, d *harness.Containerd, id string) {
	t.Helper()
	if out, code := d.Ctr("task", "kill", id); code != 0 {
		t.Fatalf("ctr task kill: exit %d\n%s", code, out)
	}
	if _, err := d.WaitTaskStatus(id, "STOPPED", 10*time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v", err)
	}
	if out, code := d.Ctr("task", "rm", id); code != 0 || strings.Contains(out, "exit code") {
		t.Errorf("ctr task rm: exit %d, want 0 and exit status 0:\n%s", code, out)
	}
	if out, code := d.Ctr("container", "rm", id); code != 0 {
		t.Errorf("ctr container rm: exit %d\n%s", code, out)
	}
	assertNoLeftovers(t, d, id)
}

func testSpin1App(t *testing.T, f *spin1Fixture) {
	d := f.d.For(t)
	id := "spin1"
	// Not t.TempDir(): its name holds commas, which ctr --mount cannot take.
	stateDir := harness.TempDir(t, "kv")
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	logPath := filepath.Join(t.TempDir(), "app.log")
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	env := []string{"SPIN_VARIABLE_API_KEY=s3cret", "WHO=world"}
	runSpin1(t, d, f.ref(repoSpin1), id, addr, stateDir, logPath, env...)

	outboundTo := func(url string) http.Header {
		return http.Header{"X-Url": {url}, "X-Out-X-Test": {"through-the-guest"}}
	}
	check(t, addr,
		// Routing across components and executors.
		exchange{path: "/", status: 200, want: helloBody},
		exchange{path: "/other/path", status: 200, want: helloBody},
		exchange{path: "/go/x", status: 200, want: "spin-go: route=/go path-info=/x method=GET\n"},
		exchange{method: http.MethodPost, path: "/wagi/run?a=1&b=2", send: "wagi-body", status: 200,
			want: "wagi-go: path-info=/run query=a=1&b=2 args=/wagi/run a=1 b=2\nwagi-body"},
		exchange{path: "/.well-known/spin/health", status: 200, want: "OK"},
		exchange{path: "/.well-known/spin/info", status: 200, contains: []string{`"name": "spin1-conformance"`, `"version": "1.0.0"`}},
		exchange{path: "/.well-known/spin/other", status: 404},
		// The Spin headers and the request as the guest sees it.
		exchange{method: http.MethodPatch, path: "/host/request/x?q=1", send: "abc", status: 200, contains: []string{
			"method=PATCH uri=/host/request/x?q=1 body=3 bytes\n",
			"spin-full-url: http://" + addr + "/host/request/x?q=1\n", "spin-path-info: /request/x\n",
			"spin-matched-route: /host/...\n", "spin-base-path: /\n", "spin-raw-component-route: /host/...\n",
			"spin-component-route: /host\n", "spin-client-addr: 127.0.0.1:",
		}},
		exchange{method: "PROPFIND", path: "/host/request", status: 405},
		exchange{path: "/host/status/700", status: 500},
		// Variables: WHO (bare name) and SPIN_VARIABLE_API_KEY.
		exchange{path: "/host/config/greeting", status: 200, want: "Hello, world!"},
		exchange{path: "/host/config/api_key", status: 200, want: "s3cret"},
		exchange{path: "/host/config/nope", status: 404, want: "error: other: no config value for key \"nope\" in component \"host\"\n"},
		// Files: each component sees its own, read-only; its environment.
		exchange{path: "/host/file/static.txt", status: 200, want: strings.Repeat("static content\n", 20)},
		exchange{path: "/host/file/small.txt", status: 200, want: "inline\n"},
		exchange{path: "/host/file/nested/dir/deep.json", status: 200, want: `{"deep":true}`},
		exchange{path: "/host/file/asset.css", status: 404},
		exchange{path: "/assets/file/asset.css", status: 200, want: "body { color: red }\n"},
		exchange{path: "/host/write/new.txt", status: 403},
		exchange{path: "/host/env/SPINOCI_COMPONENT", status: 200, want: "host"},
		// Key-value: "host" may use "default", "assets" may not.
		exchange{path: "/host/kv/incr/visits", status: 200, want: "1\n"},
		exchange{path: "/host/kv/incr/visits", status: 200, want: "2\n"},
		exchange{path: "/assets/kv/open/default", status: 403, want: "error: access-denied\n"},
		// Outbound HTTP: allowed_outbound_hosts for "host", "self" for "assets".
		exchange{method: http.MethodPut, path: "/host/outbound", send: "out-body", header: outboundTo(f.outbound.URL + "/target?x=1"),
			status: 200, contains: []string{"status=202\n", "x-outbound-test: through-the-guest\n", "\n\noutbound got PUT /target?x=1 body=out-body"}},
		exchange{path: "/assets/outbound", header: outboundTo(f.outbound.URL + "/target"), status: 502, want: "error: destination-not-allowed\n"},
		exchange{path: "/assets/outbound", header: outboundTo("/host/env/SPINOCI_COMPONENT"), status: 200, contains: []string{"status=200\n", "\n\nhost"}},
		exchange{path: "/host/outbound", header: outboundTo("http://127.0.0.1:1/"), status: 502, want: "error: destination-not-allowed\n"},
	)
	checkBodyLimit(t, addr)
	if _, err := os.Stat(filepath.Join(stateDir, engine.KVFileName)); err != nil {
		t.Errorf("the key-value store is not in the directory mounted at /.spin: %v", err)
	}
	if err := waitFor(5*time.Second, func() bool { return strings.Contains(readFile(logPath), "spin-host GET /host/kv/incr/visits") }); err != nil {
		t.Errorf("the app's stdout did not reach the log:\n%s", readFile(logPath))
	}
	stopSpin1(t, d, id)

	// A new container (the archive-layer artifact of the same app) with the
	// same directory at /.spin sees the counter.
	runSpin1(t, d, f.ref(repoSpin1Archive), id, addr, stateDir, logPath, env...)
	check(t, addr,
		exchange{path: "/host/kv/incr/visits", status: 200, want: "3\n"},
		exchange{path: "/host/file/nested/dir/deep.json", status: 200, want: `{"deep":true}`},
		exchange{path: "/host/kv/keys", status: 200, want: "visits\n"},
	)
	stopSpin1(t, d, id)
}

func testSpin1MissingVariable(t *testing.T, f *spin1Fixture) {
	d := f.d.For(t)
	id := "spin1-novar"
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	logPath := filepath.Join(t.TempDir(), "container.log")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"run", "--rm", "--log-uri", "file://" + logPath}, runArgs(addr)...)
	out, code := d.CtrContext(ctx, append(args, "--env", "WHO=world", f.ref(repoSpin1), id)...)
	t.Logf("ctr run exited %d:\n%s", code, out)
	want := `variable "api_key" is required`
	if code == 0 {
		t.Errorf("ctr run without api_key exited 0")
	}
	if !strings.Contains(out, want) || !strings.Contains(out, "SPIN_VARIABLE_API_KEY") {
		t.Errorf("ctr output lacks %q and SPIN_VARIABLE_API_KEY", want)
	}
	// ctr prints the error itself; the shim logs it once in containerd's
	// log and leaves the container's stderr to the guest.
	if log := readFile(logPath); strings.Contains(log, want) {
		t.Errorf("the container log repeats the error ctr prints:\n%s", log)
	}
	// (containerd's log escapes the quotes.)
	if n := countLogLines(t, d.Log, id, "SPIN_VARIABLE_API_KEY"); n != 1 {
		t.Errorf("containerd's log names SPIN_VARIABLE_API_KEY for %s on %d lines, want 1:\n%s", id, n, grepLines(d.Log, id))
	}
	assertNoLeftovers(t, d, id)
}

// checkBodyLimit announces a body one byte over the default limit and
// expects 413 before sending it (a client still writing the body when the
// server answers may see a reset instead of the response).
func checkBodyLimit(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /host/request HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", addr, engine.DefaultMaxRequestBodySize+1)
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("request with a body over the limit: %v", err)
	}
	t.Logf("POST /host/request with Content-Length %d → %s", engine.DefaultMaxRequestBodySize+1, strings.TrimSpace(status))
	if !strings.HasPrefix(status, "HTTP/1.1 413 ") {
		t.Errorf("request with a body over the limit: got %q, want 413", status)
	}
}
