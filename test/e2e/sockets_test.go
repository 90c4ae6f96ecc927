package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

const repoSockets = "e2e/sockets:v1"

// loopbackEcho accepts connections on 127.0.0.1 and echoes what they send,
// until the test ends.
func loopbackEcho(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// TestSocketsOutbound runs, through ctr run on the newest pinned
// containerd, a component that connects over wasi:sockets TCP to the port
// its request path names, writes "ping" and reads it back: allowed for the
// echo server allowed_outbound_hosts lists (tcp://127.0.0.1:<port>), denied
// (access-denied) for another one on the same host.
func TestSocketsOutbound(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	reg, d := harness.StartRegistry(t), harness.StartContainerd(t, harness.ContainerdLatest).For(t)
	allowed, other := loopbackEcho(t), loopbackEcho(t)
	app, err := paths.LocalLock(harness.AppSpec{
		Name:       "e2e-sockets",
		Components: []harness.AppComponent{{ID: "sock", Wasm: "sockets-echo.wasm", Executor: "spin"}},
		Routes:     []harness.Route{{Route: "/...", Component: "sock"}},
	})
	if err != nil {
		t.Fatalf("local lock: %v (run `make testapps`)", err)
	}
	if app.Components[0].Metadata == nil {
		app.Components[0].Metadata = map[string]json.RawMessage{}
	}
	app.Components[0].Metadata["allowed_outbound_hosts"] = json.RawMessage(fmt.Sprintf(`["tcp://127.0.0.1:%d"]`, allowed))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if _, err := harness.Push(ctx, reg.Host, repoSockets, app, artifact.PackOptions{}); err != nil {
		t.Fatalf("push: %v", err)
	}
	ref := harness.Ref(reg.Host, repoSockets)
	d.Pull(ref)

	id := "sockets"
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	logPath := filepath.Join(t.TempDir(), "app.log")
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	args := append([]string{"run", "-d", "--log-uri", "file://" + logPath}, runArgs(addr)...)
	if out, code := d.Ctr(append(args, ref, id)...); code != 0 {
		t.Fatalf("ctr run -d: exit %d\n%s", code, out)
	}
	if _, err := harness.WaitHTTP(ctx, fmt.Sprintf("http://%s/echo/%d", addr, allowed), 60*time.Second); err != nil {
		t.Fatalf("%v\napp log:\n%s", err, readFile(logPath))
	}
	expect(t, addr,
		request{path: fmt.Sprintf("/echo/%d", allowed), status: 200, want: "echoed: ping"},
		request{path: fmt.Sprintf("/echo/%d", other), status: 403, want: "denied"},
	)
}
