package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/servers"
	"github.com/spinoci/spinoci/test/testio"
)

// helloManifest serves the hello test app (hello.wat) on every route.
const helloManifest = `spin_manifest_version = 2
[application]
name = "hello"
[[trigger.http]]
route = "/..."
component = "hello"
[component.hello]
source = "app.wasm"
`

// TestRunReadsLimitsFromEnvironment: `spinoci run` takes the shim's limits
// from its own environment, as the app process takes them from the
// container's: with SPINOCI_IDLE_TIMEOUT=300ms a keep-alive connection
// left idle is closed within a second (the default is 30s), and with
// SPINOCI_MAX_REQUEST_BODY_SIZE=2k a 4 KiB body gets 413 (10 MiB).
func TestRunReadsLimitsFromEnvironment(t *testing.T) {
	t.Setenv("SPINOCI_IDLE_TIMEOUT", "300ms")
	t.Setenv("SPINOCI_MAX_REQUEST_BODY_SIZE", "2k")
	dir := triggerAppDir(t, helloManifest, testApp(t, "hello.wat"))
	addr := fmt.Sprintf("127.0.0.1:%d", servers.FreePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr testio.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"--cache-dir", t.TempDir(), "run", "--listen", addr, dir}, strings.NewReader(""), &stdout, &stderr)
	}()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(30 * time.Second)
	var conn net.Conn
	for {
		var err error
		if conn, err = net.Dial("tcp", addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run did not listen on %s within 30s:\n%s", addr, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: app\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(conn)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("reading the response: %v\n%s", err, stderr.String())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "hello from spinoci\n" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	big, err := http.Post("http://"+addr+"/", "text/plain", strings.NewReader(strings.Repeat("x", 4<<10)))
	if err != nil {
		t.Fatal(err)
	}
	big.Body.Close()
	if big.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a 4 KiB body with SPINOCI_MAX_REQUEST_BODY_SIZE=2k: %d, want 413", big.StatusCode)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := rd.ReadByte(); err != io.EOF {
		t.Fatalf("the idle connection: %v after %v, want it closed by the server (EOF)", err, time.Since(start).Round(time.Millisecond))
	}
	if idle := time.Since(start); idle > 2*time.Second {
		t.Errorf("the idle connection was closed after %v, want about 300ms", idle.Round(time.Millisecond))
	}
}

// TestRunRejectsBadLimit: a limit that does not parse fails run at once,
// naming the variable, before anything is loaded or listened on.
func TestRunRejectsBadLimit(t *testing.T) {
	t.Setenv("SPINOCI_READ_TIMEOUT", "soon")
	dir := triggerAppDir(t, helloManifest, testApp(t, "hello.wat"))
	// Should run serve anyway, it stops when ctx ends (exit 0).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr testio.Buffer
	code := Main(ctx, []string{"--cache-dir", t.TempDir(), "run", "--listen", "127.0.0.1:0", dir},
		strings.NewReader(""), &stdout, &stderr)
	if want := `Error: SPINOCI_READ_TIMEOUT="soon": want a positive duration such as 30s`; code != ExitFailure || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr.String(), ExitFailure, want)
	}
	if strings.Contains(stderr.String(), "Serving http://") {
		t.Errorf("run served despite the bad limit:\n%s", stderr.String())
	}
}
