package engine

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestServe(t *testing.T) {
	a := singleApp(t, appPath("hello.wasm"), "/...", nil, Config{})
	addr, stop := startServe(t, a)
	resp, err := http.Get("http://" + addr + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello from spinoci\n" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// startServe runs a.Serve on a loopback listener; stop cancels it and
// returns what it returned.
func startServe(t *testing.T, a *App) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	return ln.Addr().String(), func() error {
		cancel()
		return <-done
	}
}

// TestServeDrain cancels Serve while a request is in flight: the request
// completes, new connections are refused, and Serve returns nil.
func TestServeDrain(t *testing.T) {
	for name := range testServers(nil) {
		t.Run(name, func(t *testing.T) { testServeDrain(t, name) })
	}
}

func testServeDrain(t *testing.T, server string) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := testServers(func(context.Context, []byte) string {
		close(entered)
		<-release
		return "hello from spinoci\n"
	})[server]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, slow, frontOptions{drain: 10 * time.Second}) }()

	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{resp.StatusCode, string(b), err}
	}()
	<-entered
	cancel()
	// Shutdown closes the listener promptly; new connections fail.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting after cancel")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("Serve returned before the in-flight request finished: %v", err)
	default:
	}
	close(release)
	r := <-res
	if r.err != nil || r.status != 200 || r.body != "hello from spinoci\n" {
		t.Fatalf("in-flight request: %+v", r)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// A request still running when the drain ends is interrupted (its
// context is cancelled) and Serve returns nil once it has ended.
func TestServeDrainInterrupts(t *testing.T) {
	for name := range testServers(nil) {
		t.Run(name, func(t *testing.T) {
			entered := make(chan struct{})
			interrupted := make(chan struct{})
			busy := testServers(func(ctx context.Context, _ []byte) string {
				close(entered)
				<-ctx.Done()
				close(interrupted)
				return ""
			})[name]
			done := serveOneRequest(t, busy, entered)
			if err := <-done; err != nil {
				t.Fatalf("Serve = %v, want nil after interrupting the request", err)
			}
			select {
			case <-interrupted:
			default:
				t.Fatal("Serve returned before the interrupted request ended")
			}
		})
	}
}

// A request that ignores the interruption makes Serve fail.
func TestServeDrainTimeout(t *testing.T) {
	for name := range testServers(nil) {
		t.Run(name, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			entered := make(chan struct{})
			stuck := testServers(func(context.Context, []byte) string {
				close(entered)
				<-release
				return ""
			})[name]
			if err := <-serveOneRequest(t, stuck, entered); err == nil {
				t.Fatal("Serve returned nil although the drain timed out")
			}
		})
	}
}

// serveOneRequest serves with srv, drain 50 ms, sends one request, and
// once the handler has entered stops serving; Serve's result comes on the
// channel returned.
func serveOneRequest(t *testing.T, srv newServer, entered <-chan struct{}) <-chan error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, srv, frontOptions{drain: 50 * time.Millisecond}) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	return done
}
