package engine

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/spinoci/spinoci/test/cpubench"
	"github.com/spinoci/spinoci/test/testio"
)

func TestHello(t *testing.T) {
	a := singleApp(t, appPath("hello.wasm"), "/...", nil, Config{})
	for _, target := range []string{"/", "/anything?x=1"} {
		w := do(t, a.Handler(), "GET", target, "")
		expect(t, w, 200, "hello from spinoci\n")
		if ct := w.Header().Get("Content-Type"); ct != "text/plain" {
			t.Errorf("content-type %q", ct)
		}
	}
	// The body is always passed, also for POST.
	expect(t, do(t, a.Handler(), "POST", "/", "some body"), 200, "hello from spinoci\n")
}

func TestSpinGo(t *testing.T) {
	stdout := &testio.Buffer{}
	a := singleApp(t, appPath("spin-go.wasm"), "/go/...", nil, Config{Stdout: stdout, CacheDir: moduleCache})
	h := a.Handler()
	expect(t, do(t, h, "GET", "/go/a/b?x=1", ""), 200, "spin-go: route=/go path-info=/a/b method=GET\n")
	expect(t, do(t, h, "PUT", "/go", ""), 200, "spin-go: route=/go path-info= method=PUT\n")

	// A trap is a 500 and the next request is served again.
	logs := &testio.Buffer{}
	expect(t, do(t, h, "GET", "/go/x/trap", "", withLog(logs)), 500, "")
	if !strings.Contains(logs.String(), `component=c`) {
		t.Errorf("trap not logged with the component id: %s", logs)
	}
	expect(t, do(t, h, "DELETE", "/go/ok", ""), 200, "spin-go: route=/go path-info=/ok method=DELETE\n")

	a.Close() // flushes guest output
	if out := stdout.String(); !strings.Contains(out, "spin-go handled /go/a/b?x=1\n") {
		t.Errorf("guest stdout not forwarded: %q", out)
	}
}

func TestSpinHeaders(t *testing.T) {
	wasm := watFile(t, spinWAT(echoHandler(200)))
	meta := map[string]any{"name": "hdr", "trigger": map[string]any{"base": "/base", "type": "http"}}
	app := newLock(t, meta, []testComponent{{id: "echo", wasm: wasm}},
		[]testTrigger{{component: "echo", route: "/foo/..."}})
	a := load(t, app, Config{})
	// Spin's test_default_headers_with_base_path vector.
	w := do(t, a.Handler(), "POST", "https://fermyon.dev/base/foo/bar?key1=value1&key2=value2", "the body",
		func(r *http.Request) {
			r.RemoteAddr = "127.0.0.1:8777"
			r.Header.Set("X-Custom", "v")
		})
	if w.Code != 200 || w.Body.String() != "the body" {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
	want := map[string]string{
		"spin-full-url":            "https://fermyon.dev/base/foo/bar?key1=value1&key2=value2",
		"spin-path-info":           "/bar",
		"spin-matched-route":       "/base/foo/...",
		"spin-base-path":           "/base",
		"spin-raw-component-route": "/foo/...",
		"spin-component-route":     "/foo",
		"spin-client-addr":         "127.0.0.1:8777",
		"x-custom":                 "v",
		"host":                     "fermyon.dev",
	}
	for k, v := range want {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestSpinHeadersWithoutBase(t *testing.T) {
	a := singleApp(t, watFile(t, spinWAT(echoHandler(200))), "/foo/...", nil, Config{})
	w := do(t, a.Handler(), "GET", "https://fermyon.dev/foo/bar?key1=value1&key2=value2", "")
	for k, v := range map[string]string{
		"spin-full-url": "https://fermyon.dev/foo/bar?key1=value1&key2=value2", "spin-path-info": "/bar",
		"spin-matched-route": "/foo/...", "spin-base-path": "/", "spin-raw-component-route": "/foo/...",
		"spin-component-route": "/foo",
	} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestSpinDuplicateResponseHeadersLastWins(t *testing.T) {
	a := singleApp(t, watFile(t, spinWAT(echoHandler(200))), "/...", nil, Config{})
	w := do(t, a.Handler(), "GET", "/", "", func(r *http.Request) {
		r.Header.Add("X-Dup", "first")
		r.Header.Add("X-Dup", "second")
	})
	if got := w.Header().Values("X-Dup"); len(got) != 1 || got[0] != "second" {
		t.Fatalf("X-Dup = %q", got)
	}
}

func TestSpinStatus(t *testing.T) {
	for status, want := range map[int]int{201: 201, 404: 404, 599: 599, 99: 500, 600: 500, 700: 500} {
		a := singleApp(t, watFile(t, spinWAT(echoHandler(status))), "/...", nil, Config{})
		if w := do(t, a.Handler(), "GET", "/", ""); w.Code != want {
			t.Errorf("guest status %d: got %d, want %d", status, w.Code, want)
		}
	}
}

func TestSpinBadPointers(t *testing.T) {
	handler := `
    (i32.store16 (i32.const 0) (i32.const 200))
    (i32.store8 (i32.const 16) (i32.const 1))
    (i32.store (i32.const 20) (i32.const 0x7ffffff0))
    (i32.store (i32.const 24) (i32.const 0x100))
    (i32.const 0)`
	a := singleApp(t, watFile(t, spinWAT(handler)), "/...", nil, Config{})
	expect(t, do(t, a.Handler(), "GET", "/", ""), 500, "")
	// Return area itself out of bounds.
	a = singleApp(t, watFile(t, spinWAT(`(i32.const -8)`)), "/...", nil, Config{})
	expect(t, do(t, a.Handler(), "GET", "/", ""), 500, "")
}

func TestSpinMethodNotAllowed(t *testing.T) {
	// The guest would trap if called.
	a := singleApp(t, watFile(t, spinWAT(`unreachable`)), "/...", nil, Config{})
	expect(t, do(t, a.Handler(), "TRACE", "/", ""), 405, "")
	expect(t, do(t, a.Handler(), "CONNECT", "/", ""), 405, "")
}

func TestBodyLimit(t *testing.T) {
	a := singleApp(t, watFile(t, spinWAT(echoHandler(200))), "/...", nil, Config{MaxRequestBodySize: 16})
	expect(t, do(t, a.Handler(), "POST", "/", "0123456789abcdef"), 200, "0123456789abcdef")
	expect(t, do(t, a.Handler(), "POST", "/", "0123456789abcdefX"), 413, "")
	// Without a Content-Length the limit still applies.
	w := do(t, a.Handler(), "POST", "/", "", func(r *http.Request) {
		r.Body = http.NoBody
		r.Body = readCloser{strings.NewReader(strings.Repeat("x", 100))}
		r.ContentLength = -1
	})
	expect(t, w, 413, "")
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func TestHostImportsLinkAndTrap(t *testing.T) {
	// Linking: a module importing every Spin 1.x host function instantiates.
	a := singleApp(t, watFile(t, spinWAT(echoHandler(200))), "/...", nil, Config{})
	expect(t, do(t, a.Handler(), "GET", "/", ""), 200, "")

	// Every Spin 1.x import is implemented: outbound-pg.query to an empty
	// address answers Spin 1.x's connection-failed error, not a trap, and
	// the handler goes on.
	call := `(call $pg_query (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 64))` + echoHandler(200)
	a = singleApp(t, watFile(t, spinWAT(call)), "/...", nil, Config{})
	logs := &testio.Buffer{}
	expect(t, do(t, a.Handler(), "GET", "/", "", withLog(logs)), 200, "")
	if strings.Contains(logs.String(), "is not supported by containerd-shim-spinoci-v1") {
		t.Errorf("outbound-pg.query trapped as unsupported: %s", logs)
	}

	// So does outbound-redis.publish to no address.
	call = `(call $redis_publish (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 64))` + echoHandler(200)
	a = singleApp(t, watFile(t, spinWAT(call)), "/...", nil, Config{})
	expect(t, do(t, a.Handler(), "GET", "/", ""), 200, "")
}

func TestConcurrentRequests(t *testing.T) {
	app := newLock(t, nil,
		[]testComponent{{id: "hello", wasm: appPath("hello.wasm")}, {id: "go", wasm: appPath("spin-go.wasm")}},
		[]testTrigger{{component: "hello", route: "/..."}, {component: "go", route: "/go/..."}})
	a := load(t, app, Config{Stdout: io.Discard, CacheDir: moduleCache})
	h := a.Handler()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				target, want := "/h", "hello from spinoci\n"
				if (i+j)%2 == 0 {
					target = fmt.Sprintf("/go/%d/%d", i, j)
					want = fmt.Sprintf("spin-go: route=/go path-info=/%d/%d method=GET\n", i, j)
				}
				r := httptest.NewRequest("GET", target, nil)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 || w.Body.String() != want {
					errs <- fmt.Sprintf("%s: %d %q", target, w.Code, w.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func BenchmarkHello(b *testing.B) { benchmarkHello(b, Config{}) }

// BenchmarkHelloStdio is BenchmarkHello with guest stdout and stderr
// connected, as the shim runs apps.
func BenchmarkHelloStdio(b *testing.B) {
	benchmarkHello(b, Config{Stdout: io.Discard, Stderr: io.Discard})
}

func benchmarkHello(b *testing.B, cfg Config) {
	a := loadHelloBench(b, cfg)
	h := a.Handler()
	b.ReportAllocs()
	// CPU time per request, which other load on the machine skews less than
	// the wall time per request.
	report := cpubench.Start(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "/bench", nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
	report()
}
