package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/containerd/log"
)

// Defaults of the HTTP front's bounds (Config fields of the same names).
const (
	// DefaultIdleTimeout closes keep-alive connections idle that long.
	DefaultIdleTimeout = 30 * time.Second
	// DefaultReadTimeout bounds reading a whole request, body included.
	DefaultReadTimeout = 60 * time.Second
	// readHeaderTimeout bounds reading a request's headers (or the read
	// timeout, if shorter).
	readHeaderTimeout = 30 * time.Second
	// interruptGrace is how long Serve waits, after interrupting the
	// requests still running at the end of the drain, for them to end:
	// guests stop within an epoch tick.
	interruptGrace = 3 * time.Second
)

// frontOptions are the bounds of the HTTP server.
type frontOptions struct {
	drain, idle, read time.Duration
	maxConns          int
	// deadlineTick is the sweep of the read deadlines (frontListener;
	// 0: deadlineTick).
	deadlineTick time.Duration
}

func (a *App) frontOptions() frontOptions {
	return frontOptions{
		drain: a.cfg.ShutdownTimeout, idle: a.cfg.IdleTimeout, read: a.cfg.ReadTimeout,
		maxConns: a.cfg.MaxConnections,
	}
}

// DefaultMaxConnections is the bound on concurrent connections when
// Config.MaxConnections is 0: three quarters of the process's open-file
// limit, so that the rest stays for guests, stores and outbound requests
// (at least 16).
func DefaultMaxConnections() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 1 << 16
	}
	return max(16, int(rl.Cur*3/4))
}

// httpServer is the front's HTTP server: net/http's, or fasthttp's for
// Spin 1.x apps (fastfront.go). Serve returns once Shutdown is called;
// Shutdown waits for the connections to become idle and closes them.
type httpServer interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
}

// newServer returns the front's server within opts' bounds, its requests
// running in base; fl tracks its connections.
type newServer func(base context.Context, fl *frontListener, opts frontOptions) httpServer

// netHTTPServer serves h through net/http.
func netHTTPServer(h http.Handler) newServer {
	return func(base context.Context, fl *frontListener, opts frontOptions) httpServer {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: min(readHeaderTimeout, opts.read),
			ReadTimeout:       opts.read,
			IdleTimeout:       opts.idle,
			BaseContext:       func(net.Listener) context.Context { return base },
			ConnState:         fl.connState,
		}
	}
}

// serve serves on ln (see App.Serve) with the server newSrv makes, within
// opts' bounds: at most maxConns connections at once (more wait in the
// listen backlog), idle keep-alive connections closed after idle,
// requests read within read.
func serve(ctx context.Context, ln net.Listener, newSrv newServer, opts frontOptions) error {
	if opts.maxConns <= 0 {
		opts.maxConns = DefaultMaxConnections()
	}
	if opts.read <= 0 {
		opts.read = DefaultReadTimeout
	}
	if opts.deadlineTick <= 0 {
		opts.deadlineTick = deadlineTick
	}
	// Requests' contexts derive from base, not ctx: cancelling ctx starts
	// the drain; interrupt ends what the drain left.
	base, interrupt := context.WithCancelCause(context.WithoutCancel(ctx))
	defer interrupt(nil)
	fl := newFrontListener(ln, opts.maxConns, opts.deadlineTick)
	srv := newSrv(base, fl, opts)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(fl) }()
	select {
	case err := <-errc:
		if err == nil {
			err = errors.New("stopped serving")
		}
		return fmt.Errorf("engine: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(base, opts.drain)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-errc // http.ErrServerClosed, or nil
	if err == nil {
		return nil
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		fl.closeConns()
		return fmt.Errorf("engine: shutdown: %w", err)
	}
	log.G(ctx).Warnf("shutdown: %d requests still running after %v (%s): interrupting them",
		fl.serving(), opts.drain, ShutdownTimeoutEnv)
	interrupt(fmt.Errorf("the app is stopping and its drain time (%v, %s) is over", opts.drain, ShutdownTimeoutEnv))
	fl.closeConns()
	deadline := time.Now().Add(interruptGrace)
	for fl.serving() > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("engine: shutdown: %d requests did not end %v after being interrupted", fl.serving(), interruptGrace)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// ShutdownTimeoutEnv names the container environment variable that sets
// Config.ShutdownTimeout (read by the app process), for messages.
const ShutdownTimeoutEnv = "SPINOCI_SHUTDOWN_TIMEOUT"
