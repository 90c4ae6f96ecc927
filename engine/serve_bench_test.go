package engine

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/cpubench"
	"github.com/valyala/fasthttp"
)

// BenchmarkHelloRequest is the engine's own cost of one hello request (a
// fresh instance of build/apps/hello.wasm, the bench's P3 app): one
// request at a time, through the App's handler, with a ResponseWriter
// that keeps nothing, so that what it measures (ns/op, allocs/op) is the
// engine's, not the test's.
func BenchmarkHelloRequest(b *testing.B) {
	a := loadHelloBench(b, Config{CacheDir: moduleCache})
	h := a.Handler()
	r := httptest.NewRequest("GET", "/bench", nil)
	r.Header.Set("User-Agent", "bench")
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	report := cpubench.Start(b)
	for b.Loop() {
		clear(w.header)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, r)
		if w.status != 200 || w.n != len("hello from spinoci\n") {
			b.Fatalf("status %d, %d body bytes", w.status, w.n)
		}
	}
	// CPU time is what other load on the machine skews least (ns/op counts
	// time the benchmark waited for a core).
	report()
}

// BenchmarkHelloRequestFast is BenchmarkHelloRequest through the fast
// front's handler (what an app of Spin 1.x modules serves with), the
// connection's reading and writing aside.
func BenchmarkHelloRequestFast(b *testing.B) {
	a := loadHelloBench(b, Config{CacheDir: moduleCache})
	serve := a.fastFrontHandler(b.Context())
	var req fasthttp.Request
	req.Header.SetRequestURI("/bench")
	req.Header.SetHost("localhost")
	req.Header.Set("User-Agent", "bench")
	var rc fasthttp.RequestCtx
	rc.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
	b.ReportAllocs()
	report := cpubench.Start(b)
	for b.Loop() {
		rc.Response.Reset()
		serve(&rc)
		if rc.Response.StatusCode() != 200 || len(rc.Response.Body()) != len("hello from spinoci\n") {
			b.Fatalf("status %d, %d body bytes", rc.Response.StatusCode(), len(rc.Response.Body()))
		}
	}
	report()
}

// loadHelloBench loads build/apps/hello.wasm on the route "/..." for a
// benchmark; it is closed when the benchmark ends.
func loadHelloBench(b *testing.B, cfg Config) *App {
	if _, err := os.Stat(appPath("hello.wasm")); err != nil {
		b.Fatal(err)
	}
	app := &lock.LockedApp{
		Metadata:   map[string]json.RawMessage{"name": json.RawMessage(`"bench"`)},
		Triggers:   []lock.Trigger{{ID: "t", TriggerType: "http", TriggerConfig: json.RawMessage(`{"component":"c","route":"/..."}`)}},
		Components: []lock.Component{{ID: "c", Source: lock.ComponentSource{ContentRef: lock.ContentRef{Source: appdir.FileURI(appPath("hello.wasm"))}}}},
	}
	a, err := loadLock(b, b.Context(), app, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.Close)
	return a
}

// discardWriter is a ResponseWriter that only counts.
type discardWriter struct {
	header http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}
