package engine

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/test/testio"
)

func wagiExec(entry, argv string) map[string]any {
	ex := map[string]any{"type": "wagi"}
	if entry != "" {
		ex["entrypoint"] = entry
	}
	if argv != "" {
		ex["argv"] = argv
	}
	return ex
}

func TestWagiGo(t *testing.T) {
	stderr := &testio.Buffer{}
	a := singleApp(t, appPath("wagi-go.wasm"), "/wagi/...", wagiExec("", ""), Config{Stderr: stderr, CacheDir: moduleCache})
	h := a.Handler()

	w := do(t, h, "POST", "/wagi/run?a=1&b=2", "request body")
	expect(t, w, 200, "wagi-go: path-info=/run query=a=1&b=2 args=/wagi/run a=1 b=2\nrequest body")
	if ct := w.Header().Get("Content-Type"); ct != "text/plain" {
		t.Errorf("content-type %q", ct)
	}
	// No query: argv ends with an empty argument.
	expect(t, do(t, h, "GET", "/wagi", ""), 200, "wagi-go: path-info= query= args=/wagi \n")

	a.Close()
	if !strings.Contains(stderr.String(), "wagi-go handled\n") {
		t.Errorf("guest stderr not forwarded: %q", stderr)
	}
}

func TestWagiArgvTemplate(t *testing.T) {
	a := singleApp(t, appPath("wagi-go.wasm"), "/...", wagiExec("", "prog --flag ${ARGS}"), Config{CacheDir: moduleCache})
	expect(t, do(t, a.Handler(), "GET", "/x?q", ""), 200, "wagi-go: path-info=/x query=q args=prog --flag q\n")
}

func TestWagiEnv(t *testing.T) {
	app := newLock(t, map[string]any{"name": "env", "trigger": map[string]any{"base": "/api"}},
		[]testComponent{{id: "probe", wasm: appPath("fsprobe.wasm"), env: map[string]string{"MY_VAR": "x", "SERVER_SOFTWARE": "override"}}},
		[]testTrigger{{component: "probe", route: "/p/...", executor: wagiExec("", "")}})
	a := load(t, app, Config{CacheDir: moduleCache})
	w := do(t, a.Handler(), "POST", "http://example.com:8080/api/p/a%20b?env", "12345", func(r *http.Request) {
		r.RemoteAddr = "10.0.0.7:4000"
		r.Header.Set("X-Thing", "t")
		r.Header.Set("Authorization", "secret")
	})
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(w.Body.String()), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	for k, v := range map[string]string{
		"CONTENT_LENGTH": "5", "GATEWAY_INTERFACE": "CGI/1.1", "QUERY_STRING": "env", "REQUEST_METHOD": "POST",
		"REMOTE_ADDR": "10.0.0.7", "REMOTE_HOST": "10.0.0.7", "SCRIPT_NAME": "/api/p",
		"X_RAW_PATH_INFO": "/a%20b", "PATH_INFO": "/a%20b", "PATH_TRANSLATED": "/a b",
		"SERVER_NAME": "example.com", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
		"SERVER_SOFTWARE": "override", "HTTP_X_THING": "t", "HTTP_HOST": "example.com:8080",
		"X_FULL_URL": "http://example.com:8080/api/p/a%20b?env", "X_MATCHED_ROUTE": "/api/p/...",
		"X_BASE_PATH": "/api", "X_RAW_COMPONENT_ROUTE": "/p/...", "X_COMPONENT_ROUTE": "/p",
		"X_CLIENT_ADDR": "10.0.0.7:4000", "MY_VAR": "x",
	} {
		if got, ok := env[k]; !ok || got != v {
			t.Errorf("%s = %q (set %v), want %q", k, got, ok, v)
		}
	}
	if _, ok := env["HTTP_AUTHORIZATION"]; ok {
		t.Error("HTTP_AUTHORIZATION must not be passed")
	}
}

func TestWagiResponses(t *testing.T) {
	for _, tc := range []struct {
		name, out, tail string
		status          int
		body, location  string
	}{
		{"content-type LF", "Content-Type: text/html\n\n<p>", "", 200, "<p>", ""},
		{"CRLF", "content-type: text/plain\r\n\r\nbody\r\n", "", 200, "body\r\n", ""},
		{"status", "Status: 404 Not Found\nContent-Type: text/plain\n\nmissing", "", 404, "missing", ""},
		{"location", "location: /elsewhere\n\n", "", 302, "", "/elsewhere"},
		{"location with status", "Status: 301\nLocation: /moved\n\n", "", 301, "", "/moved"},
		{"bad status", "Status: abc\n\n", "", 502, "", ""},
		{"no required header", "X-Other: 1\n\nbody", "", 500, "", ""},
		{"empty output", "", "", 500, "", ""},
		{"exit 0", "Content-Type: text/plain\n\nok", "(call $proc_exit (i32.const 0))", 200, "ok", ""},
		{"exit 1", "Content-Type: text/plain\n\nok", "(call $proc_exit (i32.const 1))", 500, "", ""},
		{"trap", "Content-Type: text/plain\n\nok", "unreachable", 500, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := singleApp(t, watFile(t, wagiWAT("_start", tc.out, tc.tail)), "/...", wagiExec("", ""), Config{})
			logs := &testio.Buffer{}
			w := do(t, a.Handler(), "GET", "/", "", withLog(logs))
			expect(t, w, tc.status, tc.body)
			if got := w.Header().Get("Location"); got != tc.location {
				t.Errorf("location %q, want %q", got, tc.location)
			}
			if tc.name == "empty output" && !strings.Contains(logs.String(), "configured to use the WAGI executor but did not write to stdout") {
				t.Errorf("empty output not logged: %s", logs)
			}
		})
	}
}

func TestWagiEntrypoint(t *testing.T) {
	a := singleApp(t, watFile(t, wagiWAT("run", "Content-Type: text/plain\n\nran", "")), "/...", wagiExec("run", ""), Config{})
	expect(t, do(t, a.Handler(), "GET", "/", ""), 200, "ran")

	_, err := loadLock(t, t.Context(), newLock(t, nil, []testComponent{{id: "c", wasm: watFile(t, wagiWAT("run", "x", ""))}},
		[]testTrigger{{component: "c", route: "/...", executor: wagiExec("", "")}}), Config{})
	if err == nil || !strings.Contains(err.Error(), `WAGI entrypoint "_start"`) {
		t.Fatalf("missing entrypoint: %v", err)
	}
}

func TestMounts(t *testing.T) {
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "a.txt"), "root file")
	mustWrite(t, filepath.Join(root, "sub", "b.txt"), "sub file")
	static := t.TempDir()
	mustWrite(t, filepath.Join(static, "s.txt"), "static file")
	single := filepath.Join(t.TempDir(), "single.txt")
	mustWrite(t, single, "single file")
	secretDir := t.TempDir()
	secret := filepath.Join(secretDir, "secret.txt")
	mustWrite(t, secret, "secret")
	// A symlink inside a mount that points outside it.
	if err := os.Symlink(secret, filepath.Join(root, "link.txt")); err != nil {
		t.Fatal(err)
	}

	app := newLock(t, nil, []testComponent{{id: "probe", wasm: appPath("fsprobe.wasm"), files: map[string]string{
		"/": root, "/static": static, "/etc/single.txt": single,
	}}}, []testTrigger{{component: "probe", route: "/...", executor: wagiExec("", "")}})
	a := load(t, app, Config{CacheDir: moduleCache})
	h := a.Handler()
	for q, want := range map[string]string{
		"/a.txt": "root file", "/sub/b.txt": "sub file", "a.txt": "root file",
		"/static/s.txt": "static file", "/etc/single.txt": "single file",
	} {
		expect(t, do(t, h, "GET", "/?"+q, ""), 200, want)
	}
	for _, q := range []string{secret, "/../" + secret, "/link.txt", "/../../../../" + secretDir + "/secret.txt"} {
		if w := do(t, h, "GET", "/?"+q, ""); w.Code != 404 || strings.Contains(w.Body.String(), "secret\n") || w.Body.String() == "secret" {
			t.Errorf("guest read %q outside its mounts: %d %q", q, w.Code, w.Body)
		}
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
