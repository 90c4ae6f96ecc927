// Command requestfloor is the benchmark's request floor: the native
// baseline's server (package benchserver) whose handler answers each
// request with the body of a fresh Wasmtime instance of a Spin 1.x HTTP
// module (capi.RequestFloor: one cgo call per request). Its requests/s
// against the native server's bound what a Go host of Spin modules with a
// fresh instance per request can reach; the benchmark runs it in a runc
// container beside the native server.
//
// Environment: ADDR (see benchserver), WASM (the module, default
// /hello.wasm) and KEEP_RESIDENT (bytes of each freed memory its pool
// resets in place, default 4096: the page the benchmark's hello writes,
// which the engine's fitted reset keeps for it too).
package main

import (
	"log"
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/test/e2e/bench/benchserver"
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
	benchserver.Run(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		body := bodies.Get().(*[maxBody]byte)
		defer bodies.Put(body)
		n, err := floor.Request(body[:])
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(body[:n])
	}))
}

// envOr is the environment variable name, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
