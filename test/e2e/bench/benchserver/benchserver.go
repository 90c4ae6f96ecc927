// Package benchserver is the HTTP server of the benchmark's baselines (the
// native hello server and the request floor): net/http on $ADDR (default
// 127.0.0.1:8080), stopping gracefully on SIGTERM or SIGINT (they run as
// pid 1 in runc containers, where an unhandled SIGTERM is ignored), so that
// both are measured with the same server.
package benchserver

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Run serves h until the process is signalled to stop, and exits the
// process if the server fails.
func Run(h http.Handler) {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	srv := &http.Server{Addr: addr, ReadHeaderTimeout: 10 * time.Second, Handler: h}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
