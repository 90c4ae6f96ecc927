package appprocess

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// TestWidenBacklog: a listener whose accept queue is Go's fallback when it
// cannot read /proc (here 16, to keep the test short) queues many more
// connections once widened, none of them accepted.
func TestWidenBacklog(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	raw, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var narrowErr error
	if err := raw.Control(func(fd uintptr) { narrowErr = syscall.Listen(int(fd), 16) }); err != nil || narrowErr != nil {
		t.Fatalf("narrowing the backlog: %v, %v", err, narrowErr)
	}
	if err := widenBacklog(ln); err != nil {
		t.Fatal(err)
	}
	const conns = 200
	for i := range conns {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second)
		if err != nil {
			t.Fatalf("connection %d of %d not queued: %v", i+1, conns, err)
		}
		defer c.Close()
	}
}
