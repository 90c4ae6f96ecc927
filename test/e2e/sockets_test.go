package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/e2e/harness"
	"github.com/spinoci/spinoci/test/servers"
)

const repoSockets = "e2e/sockets:v1"

// TestSocketsOutbound runs, through ctr run on each pinned containerd, a
// component that connects over wasi:sockets TCP to the port
// its request path names, writes "ping" and reads it back: allowed for the
// echo server allowed_outbound_hosts lists (tcp://127.0.0.1:<port>), denied
// (access-denied) for another one on the same host.
func TestSocketsOutbound(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	allowed, other := servers.Echo(t), servers.Echo(t)
	app := socketsApp(t, paths, allowed)
	for _, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			reg, d := harness.StartRegistry(t), harness.StartContainerd(t, v).For(t)
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			if _, err := harness.Push(ctx, reg.Host, repoSockets, app, artifact.PackOptions{}); err != nil {
				t.Fatalf("push: %v", err)
			}
			ref := harness.Ref(reg.Host, repoSockets)
			d.Pull(ref)

			addr, _ := d.RunDetached(ctx, ref, "sockets", harness.RunOptions{})
			expect(t, addr,
				request{path: "/", status: 200, want: "ready"},
				request{path: fmt.Sprintf("/echo/%d", allowed), status: 200, want: "echoed: ping"},
				request{path: fmt.Sprintf("/echo/%d", other), status: 403, want: "denied"},
			)
		})
	}
}

// socketsApp is the sockets-echo component at /... with
// allowed_outbound_hosts tcp://127.0.0.1:<allowed>.
func socketsApp(t *testing.T, paths harness.Paths, allowed int) *lock.LockedApp {
	t.Helper()
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
	return app
}
