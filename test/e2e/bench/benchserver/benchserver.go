// Package benchserver is what the benchmark's baseline servers (the native
// hello server and the request floor) share: their address ($ADDR,
// default 127.0.0.1:8080) and a graceful stop on SIGTERM or SIGINT (they
// run as pid 1 in runc containers, where an unhandled SIGTERM is ignored).
package benchserver

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Addr is the address to listen on.
func Addr() string {
	if addr := os.Getenv("ADDR"); addr != "" {
		return addr
	}
	return "127.0.0.1:8080"
}

// ShutdownOnSignal calls shutdown, with 5 s to finish, once the process
// gets SIGTERM or SIGINT.
func ShutdownOnSignal(shutdown func(context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	go func() {
		defer stop()
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdown(sctx)
	}()
}
