package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/engine/inbound"
	"github.com/valyala/fasthttp"
)

// The fast front serves apps whose routes all run Spin 1.x modules, unless
// the config asks for net/http.
func TestFastFrontServesSpin1Apps(t *testing.T) {
	spin := watFile(t, spinWAT(echoHandler(200)))
	if a := singleApp(t, spin, "/...", nil, Config{}); !a.fastFrontServes() {
		t.Error("a Spin 1.x app is not served by the fast front")
	}
	if a := singleApp(t, spin, "/...", nil, Config{NetHTTPFront: true}); a.fastFrontServes() {
		t.Error("NetHTTPFront: the fast front serves")
	}
	wagiApp := newLock(t, nil,
		[]testComponent{{id: "s", wasm: spin}, {id: "w", wasm: watFile(t, wagiWAT("_start", "Content-Type: text/plain\n\nw", ""))}},
		[]testTrigger{{component: "s", route: "/s/..."}, {component: "w", route: "/w/...", executor: map[string]any{"type": "wagi"}}})
	if a := load(t, wagiApp, Config{}); a.fastFrontServes() {
		t.Error("an app with a WAGI route is served by the fast front")
	}
}

// requestsAsReceived are requests whose target and headers the fronts
// must hand guests alike.
var requestsAsReceived = []string{
	"GET /base/foo/bar?x=1&y=%20 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: t\r\nAccept: */*\r\n" +
		"X-Dup: 1\r\nx-dup: 2\r\nCookie: a=1\r\nCookie: b=2\r\nConnection: keep-alive\r\nX-Space:   v w  \r\nX-Empty:\r\n\r\n",
	"POST /base/foo HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nbody",
	"POST /base/foo HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n",
	"GET /base/foo/a%2Fb/%C3%A9/%7e/caf%c3%a9 HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /base/foo/a\"b{c}|d^e`f HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /base/foo/!$&'()*+,;=:@[]-._~ HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET http://other.example/base/foo/p?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
	"GET /base/foo/p?q=a#frag HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /base/foo/p#frag HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /base/foo?q=\"x\"&r={} HTTP/1.1\r\nHost: h\r\n\r\n",
	"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
	"GET /base/foo HTTP/1.0\r\n\r\n",
}

// The fast front reads a request's path, query, host and headers as
// net/http's front does (the request's own, not the guest's: compared
// directly, duplicates and order included).
func TestFastRequestAsNetHTTP(t *testing.T) {
	// Content-Length and chunked: net/http reads it chunked and drops
	// Content-Length (fasthttp too, and closes the connection after).
	chunkedWithLength := "POST /base/foo HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n" +
		"Transfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n"
	for _, raw := range append(requestsAsReceived, chunkedWithLength, "GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n") {
		r, nerr := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		var fr fasthttp.Request
		if err := fr.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
			t.Errorf("%q: fasthttp: %v", raw, err)
			continue
		}
		path, query, host, ok := requestTarget(&fr.Header)
		if nerr != nil {
			if ok {
				t.Errorf("%q: net/http rejects it (%v), the fast front takes it: %q %q", raw, nerr, path, query)
			}
			continue
		}
		if !ok {
			t.Errorf("%q: the fast front rejects it", raw)
			continue
		}
		if path != r.URL.EscapedPath() || query != r.URL.RawQuery || host != r.Host {
			t.Errorf("%q: path %q query %q host %q, net/http %q %q %q", raw, path, query, host, r.URL.EscapedPath(), r.URL.RawQuery, r.Host)
		}
		var req fastRequest
		if !req.readHeaders(&fr.Header, host) {
			t.Errorf("%q: headers refused", raw)
			continue
		}
		if got, want := req.AppendHeaders(nil), inbound.IncomingHeaders(r); !slices.Equal(got, want) {
			t.Errorf("%q: headers\n%q\nnet/http\n%q", raw, got, want)
		}
	}
}

// exchange sends raw on a new connection to addr and reads the answer.
func exchange(t *testing.T, addr, raw string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		req = nil // ReadResponse only needs it for HEAD
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%q: body: %v", raw, err)
	}
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp
}

// serveBoth serves a on two loopback listeners, through net/http and
// through the fast front, until the test ends; it returns their addresses.
func serveBoth(t *testing.T, a *App) (netHTTP, fast string) {
	t.Helper()
	var addrs []string
	for _, newSrv := range []newServer{netHTTPServer(a.Handler()), fastHTTPServer(a.fastFrontHandler, a.cfg.MaxRequestBodySize)} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- serve(ctx, ln, newSrv, a.frontOptions()) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs[0], addrs[1]
}

// The fast front answers as net/http's front: the guest's status, headers
// (Date aside, and the client's port) and body, and the front's own
// answers (404, 405, 413, 400, the well-known endpoints).
func TestFastFrontAnswersAsNetHTTP(t *testing.T) {
	meta := map[string]any{"name": "echo", "trigger": map[string]any{"base": "/base", "type": "http"}}
	app := newLock(t, meta, []testComponent{{id: "echo", wasm: watFile(t, spinWAT(echoHandler(200)))}},
		[]testTrigger{{component: "echo", route: "/foo/..."}})
	a := load(t, app, Config{MaxRequestBodySize: 64})
	netHTTP, fast := serveBoth(t, a)
	requests := append(slices.Clone(requestsAsReceived),
		"HEAD /base/foo HTTP/1.1\r\nHost: h\r\n\r\n",
		"TRACE /base/foo HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /base/other HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /.well-known/spin/health HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /base/foo HTTP/1.1\r\nHost: h\r\nX-Big: "+strings.Repeat("b", 60<<10)+"\r\n\r\n",
		"GET /.well-known/spin/info HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /base/foo HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	)
	for _, raw := range requests {
		want, got := exchange(t, netHTTP, raw), exchange(t, fast, raw)
		wantBody, _ := io.ReadAll(want.Body)
		gotBody, _ := io.ReadAll(got.Body)
		if got.StatusCode != want.StatusCode || string(gotBody) != string(wantBody) || got.Close != want.Close {
			t.Errorf("%q: %d %q (close %v), net/http %d %q (close %v)", raw, got.StatusCode, gotBody, got.Close,
				want.StatusCode, wantBody, want.Close)
		}
		for _, h := range []http.Header{want.Header, got.Header} {
			h.Del("Date")
			if addr := h.Get("Spin-Client-Addr"); addr != "" && !strings.HasPrefix(addr, "127.0.0.1:") {
				t.Errorf("%q: spin-client-addr %q", raw, addr)
			}
			h.Del("Spin-Client-Addr")
		}
		if fmt.Sprint(got.Header) != fmt.Sprint(want.Header) {
			t.Errorf("%q: headers\n%v\nnet/http\n%v", raw, got.Header, want.Header)
		}
	}
	// The front's own refusals: the statuses alike.
	for _, raw := range []string{
		"POST /base/foo HTTP/1.1\r\nHost: h\r\nContent-Length: 65\r\n\r\n" + strings.Repeat("b", 65),
		"GET /base/a%zz HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /base/foo HTTP/1.1\r\n\r\n",
		"GET /base/foo HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n",
		"GET /base/foo HTTP/1.1\r\nHost: h\r\nX Y: z\r\n\r\n",
		"GET /elsewhere HTTP/1.1\r\nHost: h\r\nX Y: z\r\n\r\n",
		"GET /base/foo HTTP/1.1\r\nHost: h\r\nX-Y: a\x01b\r\n\r\n",
		"POST /base/foo HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nbodyy",
	} {
		if want, got := exchange(t, netHTTP, raw), exchange(t, fast, raw); got.StatusCode != want.StatusCode {
			t.Errorf("%q: %d, net/http %d", raw, got.StatusCode, want.StatusCode)
		}
	}
}

// A guest's status reaches the client alike through both fronts, and one
// that cannot be sent fails the request alike (500).
func TestFastFrontGuestStatusAsNetHTTP(t *testing.T) {
	for _, status := range []int{201, 204, 304, 404, 503, 101, 600} {
		a := singleApp(t, watFile(t, spinWAT(echoHandler(status))), "/...", nil, Config{})
		netHTTP, fast := serveBoth(t, a)
		raw := "GET /s HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\n\r\n"
		want, got := exchange(t, netHTTP, raw), exchange(t, fast, raw)
		want.Header.Del("Date")
		got.Header.Del("Date")
		want.Header.Del("Spin-Client-Addr")
		got.Header.Del("Spin-Client-Addr")
		if got.StatusCode != want.StatusCode || fmt.Sprint(got.Header) != fmt.Sprint(want.Header) {
			t.Errorf("guest status %d: %d %v, net/http %d %v", status, got.StatusCode, got.Header, want.StatusCode, want.Header)
		}
	}
}

// Headers over the fast front's bound (net/http's is 1 MB) get 431.
func TestFastFrontBoundsHeaders(t *testing.T) {
	a := singleApp(t, watFile(t, spinWAT(echoHandler(200))), "/...", nil, Config{})
	_, fast := serveBoth(t, a)
	raw := "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("b", maxHeaderBytes) + "\r\n\r\n"
	if resp := exchange(t, fast, raw); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("%d KiB of headers: %d, want 431", maxHeaderBytes>>10, resp.StatusCode)
	}
}

// methodName gives Spin's methods without allocating, others as they are.
func TestMethodName(t *testing.T) {
	for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "PROPFIND", "get"} {
		if got := methodName([]byte(m)); got != m {
			t.Errorf("methodName(%q) = %q", m, got)
		}
	}
	get := []byte("GET")
	if n := testing.AllocsPerRun(100, func() { _ = methodName(get) }); n != 0 {
		t.Errorf("methodName(GET): %v allocations, want none", n)
	}
}

// App.Serve serves an app of Spin 1.x modules through the fast front, and
// through net/http with NetHTTPFront: net/http gives a response without
// Content-Type one it sniffs from the body, the fast front none.
func TestServeChoosesTheServer(t *testing.T) {
	wasm := watFile(t, spinWAT(echoHandler(200)))
	for _, c := range []struct {
		cfg         Config
		contentType string
	}{{Config{}, ""}, {Config{NetHTTPFront: true}, "text/plain; charset=utf-8"}} {
		addr, stop := startServe(t, singleApp(t, wasm, "/...", nil, c.cfg))
		resp := exchange(t, addr, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
		if err := stop(); err != nil {
			t.Fatalf("Serve: %v", err)
		}
		if got := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || got != c.contentType {
			t.Errorf("NetHTTPFront %v: %d, Content-Type %q, want 200 and %q", c.cfg.NetHTTPFront, resp.StatusCode, got, c.contentType)
		}
	}
}
