package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

const repoShapes = "e2e/shapes:v1"

// TestAppShapes runs, through ctr run on the newest pinned containerd, one
// app made of binaries of other toolchains' and Spin versions' shapes (built
// from WAT by test/apps/build.sh): a Spin 2.0 component (WASI
// 0.2.0-rc-2023-10-18), a Spin 2.1 component (rc-2023-11-10) and a
// component making a TinyGo net/http handler's wasi:http calls, and a Spin
// SDK 1.4/1.5 (wit-bindgen 0.8) module using config and key-value.
func TestAppShapes(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	reg, d := harness.StartRegistry(t), harness.StartContainerd(t, harness.ContainerdLatest).For(t)
	app, err := paths.LocalLock(harness.AppSpec{
		Name: "e2e-shapes",
		Components: []harness.AppComponent{
			{ID: "hello", Wasm: harness.AppHello, Executor: "spin"},
			{ID: "spin20", Wasm: "rc-2023-10-18.wasm", Executor: "spin"},
			{ID: "spin21", Wasm: "rc-2023-11-10.wasm", Executor: "spin"},
			{ID: "tinygo", Wasm: "tinygo-status.wasm", Executor: "spin"},
			{ID: "sdk14", Wasm: "spin-sdk14.wasm", Executor: "spin"},
		},
		Routes: []harness.Route{
			{Route: "/...", Component: "hello"},
			{Route: "/spin20/...", Component: "spin20"},
			{Route: "/spin21", Component: "spin21"},
			{Route: "/tinygo", Component: "tinygo"},
			{Route: "/sdk14/...", Component: "sdk14"},
		},
	})
	if err != nil {
		t.Fatalf("local lock: %v (run `make testapps`)", err)
	}
	for i := range app.Components {
		if c := &app.Components[i]; c.ID == "sdk14" {
			c.Config = map[string]string{"greeting": "hello 1.4"}
			c.Metadata = map[string]json.RawMessage{"key_value_stores": json.RawMessage(`["default"]`)}
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if _, err := harness.Push(ctx, reg.Host, repoShapes, app, artifact.PackOptions{}); err != nil {
		t.Fatalf("push: %v", err)
	}
	ref := harness.Ref(reg.Host, repoShapes)
	d.Pull(ref)

	id := "shapes"
	addr, _ := d.RunDetached(ctx, ref, id, harness.RunOptions{LogPath: filepath.Join(t.TempDir(), "app.log")})
	expect(t, addr,
		request{path: "/spin20/x?y=1", status: 418, want: "rc:/spin20/x?y=1"},
		request{path: "/spin21", status: 400, want: "bad request"},
		request{path: "/tinygo", status: 400, want: "bad request"},
		request{method: "POST", path: "/sdk14/a?b=c", send: "posted", status: 201, want: "hello 1.4|/sdk14/a?b=c|posted"},
	)
	for _, path := range []string{"/spin20/h", "/spin21", "/tinygo"} {
		resp, err := harness.Get(ctx, "http://"+addr+path)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][2]string{"/spin20/h": {"X-Rc", "2023-10-18"}, "/spin21": {"X-Tinygo", "yes"}, "/tinygo": {"X-Tinygo", "yes"}}[path]
		if got := resp.Header.Get(want[0]); got != want[1] {
			t.Errorf("GET %s: header %s = %q, want %q", path, want[0], got, want[1])
		}
	}
	if out, code := d.Ctr("task", "kill", id); code != 0 {
		t.Fatalf("ctr task kill: exit %d\n%s", code, out)
	}
	if _, err := d.WaitTaskStatus(id, "STOPPED", 10*time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v", err)
	}
}
