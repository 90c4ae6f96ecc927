package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// idleConn is a keep-alive connection that made one request and now sits
// idle.
type idleConn struct {
	conn net.Conn
	r    *bufio.Reader
	// since is when its response was read: the server's idle timer starts
	// about then, not when the first of a batch of connections was opened.
	since time.Time
}

// openIdle opens n keep-alive connections to addr, each answered once by
// the app's WAT component (cheap, so that opening many takes little of an
// idle timeout even while the machine is busy), and closes them when the
// test ends.
func openIdle(t *testing.T, addr string, n int) []idleConn {
	t.Helper()
	conns := make([]idleConn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.conn.Close()
		}
	})
	for i := range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		ic := idleConn{conn: c, r: bufio.NewReader(c)}
		conns = append(conns, ic)
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintf(c, "GET /idle-%d HTTP/1.1\r\nHost: %s\r\n\r\n", i, addr)
		resp, err := http.ReadResponse(ic.r, nil)
		if err != nil {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("idle connection %d: status %d, close %v; want 200 and keep-alive", i, resp.StatusCode, resp.Close)
		}
		conns[len(conns)-1].since = time.Now()
		_ = c.SetDeadline(time.Time{})
	}
	return conns
}

// testIdleKeepAlive holds many idle keep-alive connections on an app whose
// idle timeout is 3 s and whose connection bound is a little above them:
// good requests keep being answered promptly; every idle connection is
// closed by the server after the timeout; and once the connections fill
// the bound, a new request waits (in the listen backlog, not failing) until
// idle ones are closed, then is answered. The app never runs out of file
// descriptors.
func testIdleKeepAlive(t *testing.T, d *harness.Containerd, ref string) {
	const idleTimeout = 3 * time.Second
	n := scaled(150, 700)
	maxConns := n + 50
	id := "fault-idle"
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	logPath := filepath.Join(t.TempDir(), "app.log")
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	runSpin1(t, d, ref, id, addr, harness.TempDir(t, "state"), logPath,
		fmt.Sprintf("SPINOCI_IDLE_TIMEOUT=%v", idleTimeout), fmt.Sprintf("SPINOCI_MAX_CONNECTIONS=%d", maxConns))

	conns := openIdle(t, addr, n)
	lastIdle := conns[len(conns)-1].since
	good := 0
	for good == 0 || time.Since(lastIdle) < idleTimeout-time.Second {
		start := time.Now()
		resp, err := harness.Get(context.Background(), "http://"+addr+"/go/good")
		if err != nil || resp.Status != 200 {
			t.Fatalf("good request while %d idle connections are held: %d, %v", n, resp.Status, err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("a good request took %v while %d idle connections were held", took, n)
		}
		good++
		time.Sleep(100 * time.Millisecond)
	}

	// Every idle connection is closed by the server soon after the timeout.
	var wg sync.WaitGroup
	var mu sync.Mutex
	open := 0
	for _, c := range conns {
		wg.Go(func() {
			_ = c.conn.SetReadDeadline(c.since.Add(idleTimeout + 5*time.Second))
			_, err := c.r.ReadByte()
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				mu.Lock()
				open++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("%d idle keep-alive connections, %d good requests meanwhile; %d still open %v after they went idle",
		n, good, open, idleTimeout+5*time.Second)
	if open > 0 {
		t.Errorf("%d of %d idle connections were not closed after the %v idle timeout", open, n, idleTimeout)
	}

	// Over the bound: the new request waits for an idle connection to go.
	openIdle(t, addr, maxConns)
	start := time.Now()
	resp, err := harness.Get(context.Background(), "http://"+addr+"/go/over-the-bound")
	took := time.Since(start)
	t.Logf("with %d idle connections (the bound): a new request answered %d after %v", maxConns, resp.Status, took.Round(time.Millisecond))
	if err != nil || resp.Status != 200 {
		t.Errorf("request over the connection bound: %d, %v; want 200 once idle connections are closed", resp.Status, err)
	}
	if took > idleTimeout+5*time.Second {
		t.Errorf("the request over the bound was answered %v after the bound was filled, want within the idle timeout (%v) and a margin", took, idleTimeout)
	}
	if log := readFile(logPath); strings.Contains(log, "too many open files") {
		t.Errorf("the app ran out of file descriptors:\n%s", log)
	}
	checkRSS(t, d, id)
	stopSpin1(t, d, id)
}
