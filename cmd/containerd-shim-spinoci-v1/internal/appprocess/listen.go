package appprocess

import (
	"fmt"
	"net"
	"syscall"
)

// listenBacklog is the accept queue the app asks of the kernel, which caps
// it at net.core.somaxconn of the app's network namespace (4096 by
// default). Go asks for somaxconn itself, but reads it from /proc, which
// the sandbox does not mount, and then falls back to 128: a burst of
// connections over the connection bound (SPINOCI_MAX_CONNECTIONS) would
// have its SYNs dropped where a native server queues them.
const listenBacklog = 65535

// listen listens on addr (TCP) with listenBacklog.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if err := widenBacklog(ln); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// widenBacklog sets ln's accept queue to listenBacklog: listen(2) on a
// socket that already listens changes its backlog.
func widenBacklog(ln net.Listener) error {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return nil
	}
	raw, err := tl.SyscallConn()
	if err != nil {
		return fmt.Errorf("widening the listen backlog: %w", err)
	}
	var listenErr error
	if err := raw.Control(func(fd uintptr) { listenErr = syscall.Listen(int(fd), listenBacklog) }); err != nil {
		return fmt.Errorf("widening the listen backlog: %w", err)
	}
	if listenErr != nil {
		return fmt.Errorf("widening the listen backlog: %w", listenErr)
	}
	return nil
}
