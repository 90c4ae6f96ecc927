// Command requestfloor is the benchmark's request floor: an HTTP server
// answering each request with the body of a fresh Wasmtime instance of a
// Spin 1.x HTTP module (capi.RequestFloor: one cgo call per request),
// through fasthttp as the engine's front serves apps of Spin 1.x modules.
// Its requests/s against the native server's bound what a Go host of Spin
// modules with a fresh instance per request can reach; the benchmark runs
// it in a runc container beside the native server.
//
// Environment: ADDR (see package benchserver), WASM (the module, default
// /hello.wasm) and KEEP_RESIDENT (bytes of each freed memory its pool
// resets in place, default 4096: the page the benchmark's hello writes,
// which the engine's fitted reset keeps for it too).
package main

import (
	"log"
	"os"
	"strconv"
	"sync"

	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/test/e2e/bench/benchserver"
	"github.com/valyala/fasthttp"
)

// maxBody is the largest response body served.
const maxBody = 64 << 10

func main() {
	keep, err := strconv.Atoi(envOr("KEEP_RESIDENT", "4096"))
	if err != nil {
		log.Fatalf("KEEP_RESIDENT: %v", err)
	}
	wasm, err := os.ReadFile(envOr("WASM", "/hello.wasm"))
	if err != nil {
		log.Fatal(err)
	}
	floor, err := capi.NewRequestFloor(wasm, keep)
	if err != nil {
		log.Fatal(err)
	}
	bodies := sync.Pool{New: func() any { return new([maxBody]byte) }}
	srv := &fasthttp.Server{
		Handler: func(rc *fasthttp.RequestCtx) {
			body := bodies.Get().(*[maxBody]byte)
			defer bodies.Put(body)
			n, err := floor.Request(body[:])
			if err != nil {
				rc.Error(err.Error(), fasthttp.StatusInternalServerError)
				return
			}
			rc.SetContentType("text/plain")
			rc.SetBody(body[:n])
		},
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
	}
	benchserver.ShutdownOnSignal(srv.ShutdownWithContext)
	if err := srv.ListenAndServe(benchserver.Addr()); err != nil {
		log.Fatal(err)
	}
}

// envOr is the environment variable name, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
