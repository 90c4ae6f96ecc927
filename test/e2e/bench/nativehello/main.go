// Command nativehello is the native baseline of the benchmark: a net/http
// server (see package benchserver) answering every request with 200
// "hello from native\n".
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/spinoci/spinoci/test/e2e/bench/benchserver"
)

func main() {
	// No flags: -h prints the usage and exits, which the benchmark times as
	// the exec cost of a Go binary.
	flag.Parse()
	hello := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "hello from native\n")
	})
	srv := &http.Server{Addr: benchserver.Addr(), ReadHeaderTimeout: 10 * time.Second, Handler: hello}
	benchserver.ShutdownOnSignal(srv.Shutdown)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
