// Command nativehello is the native baseline of the benchmark: a net/http
// server on $ADDR (default 127.0.0.1:8080) answering every request with
// 200 "hello from native\n". It stops gracefully on SIGTERM or SIGINT (as
// pid 1 in a runc container, an unhandled SIGTERM is ignored).
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	// No flags: -h prints the usage and exits, which the benchmark times as
	// the exec cost of a Go binary.
	flag.Parse()
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	hello := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "hello from native\n")
	})
	srv := &http.Server{Addr: addr, ReadHeaderTimeout: 10 * time.Second, Handler: hello}
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
