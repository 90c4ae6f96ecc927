package engine

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// Hostile clients (idle keep-alive connections, connections that send
// nothing, slow bodies) beyond the connection bound are held and then
// dropped by the timeouts, and a good request is answered within a bound:
// with timeouts the front's listener sets on the connections as they are
// (within two ticks of its sweep), and with timeouts it records and fires
// on its sweep.
func TestFrontBoundsHoldHostileClients(t *testing.T) {
	ok := func(context.Context, []byte) string { return "ok" }
	for name, srv := range testServers(ok) {
		t.Run(name+"/exact", func(t *testing.T) { testFrontBoundsHoldHostileClients(t, srv, time.Second) })
		t.Run(name+"/swept", func(t *testing.T) { testFrontBoundsHoldHostileClients(t, srv, 20*time.Millisecond) })
	}
}

// testServers are the front's two servers (net/http's and the fast
// front's fasthttp), each answering 200 with what h returns for the
// request's context and whole body.
func testServers(h func(ctx context.Context, body []byte) string) map[string]newServer {
	return map[string]newServer{
		"net-http": netHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			_, _ = io.WriteString(w, h(r.Context(), body))
		})),
		"fasthttp": fastHTTPServer(func(base context.Context) fasthttp.RequestHandler {
			return func(rc *fasthttp.RequestCtx) { rc.SetBodyString(h(base, rc.PostBody())) }
		}, DefaultMaxRequestBodySize),
	}
}

func testFrontBoundsHoldHostileClients(t *testing.T, srv newServer, tick time.Duration) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, ln, srv, frontOptions{drain: time.Second, idle: 300 * time.Millisecond, read: 500 * time.Millisecond, maxConns: 10, deadlineTick: tick})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	addr := ln.Addr().String()
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		return c
	}
	for i := 0; i < 10; i++ {
		dial() // says nothing
		c := dial()
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nslow")
		c = dial() // one request, then idle keep-alive
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	start := time.Now()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("good request after %v: %v", time.Since(start), err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if took := time.Since(start); resp.StatusCode != 200 || string(body) != "ok" || took > 5*time.Second {
		t.Fatalf("good request: %d %q after %v", resp.StatusCode, body, took)
	}
	// The server closed the hostile connections.
	for i, c := range held[:9] {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Errorf("connection %d: not closed by the server: %v", i, err)
		}
	}
}
