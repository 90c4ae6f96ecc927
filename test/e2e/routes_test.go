package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/engine"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

const repoRoutes = "e2e/routes:v1"

// routesApp is a Spin 2.5-style app of three spin-host.wasm components:
//
//	/hello/:name/...  → greet
//	/front/...        → front (allowed_outbound_hosts http://backend.spin.internal)
//	private           → backend (reachable by service chaining only)
func routesApp(t *testing.T, paths harness.Paths) *lock.LockedApp {
	t.Helper()
	host := paths.App("spin-host.wasm")
	if _, err := os.Stat(host); err != nil {
		t.Fatalf("test app spin-host.wasm: %v (run `make testapps`)", err)
	}
	raw := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	comp := func(id string, meta map[string]json.RawMessage) lock.Component {
		return lock.Component{ID: id, Metadata: meta, Env: map[string]string{"GREETING": "I am " + id},
			Source: lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Source: appdir.FileURI(host)}}}
	}
	trig := func(id string, route any) lock.Trigger {
		return lock.Trigger{ID: id, TriggerType: "http", TriggerConfig: raw(map[string]any{"component": id, "route": route})}
	}
	return &lock.LockedApp{
		SpinLockVersion: 1,
		Metadata:        map[string]json.RawMessage{"name": raw("e2e-routes")},
		Triggers:        []lock.Trigger{trig("greet", "/hello/:name/..."), trig("front", "/front/..."), trig("backend", map[string]bool{"private": true})},
		Components: []lock.Component{
			comp("greet", nil),
			comp("front", map[string]json.RawMessage{"allowed_outbound_hosts": raw([]string{"http://backend.spin.internal"})}),
			comp("backend", nil),
		},
	}
}

// outboundTo is the header spin-host's /outbound sends its request to.
func outboundTo(url string) http.Header { return http.Header{"X-Url": {url}} }

// routesChecks are the exchanges of the whole app.
func routesChecks() []exchange {
	return []exchange{
		// A :name route: the segment in spin-path-match-name, the rest in
		// spin-path-info.
		{path: "/hello/bob/request", status: 200, contains: []string{
			"spin-path-match-name: bob\n", "spin-path-info: /request\n", "spin-matched-route: /hello/:name/...\n",
			"spin-component-route: /hello/:name\n"}},
		{path: "/hello/alice/env/GREETING", status: 200, want: "I am greet"},
		{path: "/hello", status: 404},
		// The private component is not routable…
		{path: "/backend/env/GREETING", status: 404},
		// …but front reaches it in-process through service chaining.
		{path: "/front/outbound", header: outboundTo("http://backend.spin.internal/env/GREETING"), status: 200,
			contains: []string{"status=200\n", "\n\nI am backend"}},
		// front may not chain to greet.
		{path: "/front/outbound", header: outboundTo("http://greet.spin.internal/env/GREETING"), status: 502,
			want: "error: destination-not-allowed\n"},
	}
}

// TestRoutesAndChaining runs the routes app through ctr on each pinned
// containerd: Spin 2.5 routes, a private component called by service
// chaining, and SPIN_COMPONENTS_TO_RETAIN.
func TestRoutesAndChaining(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	app := routesApp(t, paths)
	for _, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			reg := harness.StartRegistry(t)
			d := harness.StartContainerdWith(t, v, harness.ContainerdOptions{ModuleCacheDir: harness.SharedModuleCacheDir()})
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			if _, err := harness.Push(ctx, reg.Host, repoRoutes, app, artifact.PackOptions{}); err != nil {
				t.Fatal(err)
			}
			ref := harness.Ref(reg.Host, repoRoutes)
			d.Pull(ref)
			t.Run("routes and service chaining", func(t *testing.T) {
				dd := d.For(t)
				addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
				t.Cleanup(func() { cleanupContainer(t, dd, "routes") })
				runSpin1(t, dd, ref, "routes", addr, harness.TempDir(t, "kv"), filepath.Join(t.TempDir(), "app.log"))
				check(t, addr, routesChecks()...)
				stopSpin1(t, dd, "routes")
			})
			t.Run("SPIN_COMPONENTS_TO_RETAIN", func(t *testing.T) {
				dd := d.For(t)
				addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
				t.Cleanup(func() { cleanupContainer(t, dd, "retain") })
				runSpin1(t, dd, ref, "retain", addr, harness.TempDir(t, "kv"), filepath.Join(t.TempDir(), "app.log"),
					engine.ComponentsToRetainEnv+"=greet")
				check(t, addr,
					exchange{path: "/hello/bob/env/GREETING", status: 200, want: "I am greet"},
					exchange{path: "/front/env/GREETING", status: 404},
				)
				stopSpin1(t, dd, "retain")
			})
			t.Run("SPIN_COMPONENTS_TO_RETAIN naming an unknown component", func(t *testing.T) {
				dd := d.For(t)
				t.Cleanup(func() { cleanupContainer(t, dd, "retain-bad") })
				addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
				args := append([]string{"run", "--rm"}, runArgs(addr)...)
				args = append(args, "--env", engine.ComponentsToRetainEnv+"=greet,nope")
				out, code := dd.CtrContext(ctx, append(args, ref, "retain-bad")...)
				want := `components to retain not found in the application: "nope"`
				if code == 0 || !strings.Contains(out, want) {
					t.Errorf("ctr run: exit %d, want an error containing %q:\n%s", code, want, out)
				}
				assertNoLeftovers(t, dd, "retain-bad")
			})
			t.Run("SPIN_COMPONENTS_TO_RETAIN without a chained component", func(t *testing.T) {
				dd := d.For(t)
				t.Cleanup(func() { cleanupContainer(t, dd, "retain-chain") })
				addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
				args := append([]string{"run", "--rm"}, runArgs(addr)...)
				args = append(args, "--env", engine.ComponentsToRetainEnv+"=greet,front")
				out, code := dd.CtrContext(ctx, append(args, ref, "retain-chain")...)
				want := `retained component "front" chains to component "backend", which is not retained`
				if code == 0 || !strings.Contains(out, want) {
					t.Errorf("ctr run: exit %d, want an error containing %q:\n%s", code, want, out)
				}
				assertNoLeftovers(t, dd, "retain-chain")
			})
		})
	}
}

// TestRoutesCRI runs the routes app in a pod (latest containerd), with
// SPIN_COMPONENTS_TO_RETAIN keeping every component.
func TestRoutesCRI(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	if _, err := os.Stat(paths.Crictl()); err != nil {
		t.Fatalf("crictl missing (%v): run `make tools`", err)
	}
	app := routesApp(t, paths)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	f := startCRIApps(ctx, t, "rtcri")
	if _, err := harness.Push(ctx, f.reg.Host, repoRoutes, app, artifact.PackOptions{}); err != nil {
		t.Fatal(err)
	}
	pullForCRI(t, f, criRepoSandbox, repoRoutes)
	cri := f.d.Crictl()
	p := runPod(t, f, harness.PodConfig{Name: "routes", HostNetwork: true})
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	id := startContainer(t, f, p, harness.ContainerConfig{
		Name: "app", Image: f.ref(repoRoutes),
		Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addr, engine.ComponentsToRetainEnv: "greet,front,backend"},
	})
	if _, err := harness.WaitHTTP(context.Background(), "http://"+addr+"/.well-known/spin/health", 60*time.Second); err != nil {
		out, _ := cri.Run("logs", id)
		t.Fatalf("%v\nlogs:\n%s", err, out)
	}
	check(t, addr, routesChecks()...)
	cri.Must("stop", id)
	cri.Must("rm", id)
	removePod(t, f, p, id)
}
