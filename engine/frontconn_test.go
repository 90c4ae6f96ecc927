package engine

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// acceptedPair returns a connection accepted by l and its client end.
func acceptedPair(t *testing.T, l *frontListener) (server, client net.Conn) {
	t.Helper()
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return server, client
}

func newTestFrontListener(t *testing.T, maxConns int, tick time.Duration) *frontListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := newFrontListener(ln, maxConns, tick)
	t.Cleanup(func() { l.Close() })
	return l
}

// readTimesOut reads from c and requires a deadline error within limit.
func readTimesOut(t *testing.T, c net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		errc <- err
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read: %v, want the deadline exceeded", err)
		}
	case <-time.After(limit):
		t.Fatalf("read still pending after %v", limit)
	}
	return time.Since(start)
}

// A read deadline far enough ahead is fired by the sweep (within a tick of
// it); after that, a new deadline lets reads through again; a deadline in
// the past ends a pending read at once, and clearing it lets reads wait.
func TestFrontConnDeadlines(t *testing.T) {
	const tick = 20 * time.Millisecond
	l := newTestFrontListener(t, 4, tick)
	server, client := acceptedPair(t, l)

	if err := server.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if took := readTimesOut(t, server, 2*time.Second); took < 150*time.Millisecond {
		t.Errorf("the recorded deadline fired after %v, before it was due", took)
	}

	if err := server.SetReadDeadline(time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	if _, err := io.ReadFull(server, buf); err != nil {
		t.Fatalf("read after a new deadline replaced a fired one: %v", err)
	}

	// net/http interrupts its background read this way.
	go func() {
		time.Sleep(50 * time.Millisecond)
		_ = server.SetReadDeadline(time.Unix(1, 0))
	}()
	if took := readTimesOut(t, server, time.Second); took > 500*time.Millisecond {
		t.Errorf("a deadline in the past ended the read after %v", took)
	}
	if err := server.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(5 * tick)
		_, _ = client.Write([]byte("y"))
	}()
	if _, err := io.ReadFull(server, buf); err != nil || buf[0] != 'y' {
		t.Fatalf("read after the deadline was cleared: %q, %v", buf, err)
	}
}

// Accept waits while maxConns connections are open and goes on once one
// closes; a connection's close frees its slot once.
func TestFrontListenerBoundsConnections(t *testing.T) {
	l := newTestFrontListener(t, 2, time.Second)
	first, _ := acceptedPair(t, l)
	acceptedPair(t, l)
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	select {
	case <-accepted:
		t.Fatal("a third connection was accepted with two open and a bound of two")
	case <-time.After(200 * time.Millisecond):
	}
	first.Close()
	first.Close()
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("no connection accepted after one of two closed")
	}
	if n := len(l.slots); n != 1 {
		t.Errorf("slots taken after closing two of three connections (one twice): %d, want 1", n)
	}
}
