// Command demo shows spinoci end to end: it starts a private OCI registry and
// a private containerd 2.4.2 on loopback, pushes the example Spin app (the
// three test apps behind four routes, written as a spin.toml) with
// `spinoci push` as a Spin 2.x OCI artifact, pulls it
// with ctr, runs it with `ctr run --runtime io.containerd.spinoci.v1`, prints
// the HTTP responses, then stops and removes everything (also on Ctrl-C or
// an error).
//
// It builds nothing: `make demo` builds the shim, the spinoci CLI, the pinned
// tools and the test apps first. It needs root.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

func main() {
	os.Exit(harness.RunProgram("demo", demo))
}

func demo(t harness.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	t.Logf("== starting a private registry and containerd %s", harness.ContainerdLatest)
	reg := harness.StartRegistry(t)
	d := harness.StartContainerd(t, harness.ContainerdLatest)
	t.Logf("   (ctr commands below run as `ctr -a %s -n %s ...` with CONTAINERD_SNAPSHOTTER=native)", d.Address, d.Namespace)

	spec := harness.MultiApp("")
	dir := harness.TempDir(t, "demo-app")
	manifestPath := filepath.Join(dir, "spin.toml")
	if err := os.WriteFile(manifestPath, []byte(demoManifest(paths, spec)), 0o644); err != nil {
		t.Fatalf("example app: %v", err)
	}
	ref := harness.Ref(reg.Host, "demo/spin-example:v1")
	t.Logf("\n== pushing the example app to %s with spinoci", ref)
	for _, r := range spec.Routes {
		t.Logf("   route %-10s -> %s", r.Route, r.Component)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	t.Logf("$ spinoci push --plain-http --from %s %s", manifestPath, ref)
	dgst, err := harness.SpinociPush(ctx, paths.CLI(), manifestPath, ref, harness.TempDir(t, "spinoci-cache"))
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	t.Logf("   pushed manifest %s", dgst)

	t.Logf("\n== pulling and running it")
	d.Pull(ref)
	id := "spin-example"
	logPath := filepath.Join(harness.TempDir(t, "demo"), "app.log")
	start := time.Now()
	// RunDetached's cleanup removes the container after Ctrl-C or an error.
	addr, _ := d.RunDetached(t.Context(), ref, id, harness.RunOptions{LogPath: logPath})
	t.Logf("   serving on http://%s (first 200 %v after ctr run started; the first start compiles the modules)", addr, time.Since(start).Round(time.Millisecond))
	d.Ctr("task", "ls")

	t.Logf("\n== HTTP")
	for _, r := range []struct{ method, path, body string }{
		{http.MethodGet, "/", ""},
		{http.MethodGet, "/go/hello", ""},
		{http.MethodGet, "/go/exact", ""},
		{http.MethodPost, "/wagi/echo?name=demo", "a request body"},
		{http.MethodGet, "/go/trap", ""},
		{http.MethodGet, "/go/still-serving", ""},
	} {
		resp, err := harness.Do(t.Context(), r.method, "http://"+addr+r.path, r.body)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
		if r.body != "" {
			t.Logf("$ curl -X %s -d '%s' 'http://%s%s'", r.method, r.body, addr, r.path)
		} else {
			t.Logf("$ curl 'http://%s%s'", addr, r.path)
		}
		t.Logf("   %d %s", resp.Status, http.StatusText(resp.Status))
		if b := strings.TrimRight(resp.Body, "\n"); b != "" {
			t.Logf("   %s", strings.ReplaceAll(b, "\n", "\n   "))
		}
	}

	if b, err := os.ReadFile(logPath); err == nil {
		t.Logf("\n== the app's stdout and stderr (--log-uri %s)\n   %s", logPath,
			strings.ReplaceAll(strings.TrimRight(string(b), "\n"), "\n", "\n   "))
	}

	t.Logf("\n== stopping (SIGTERM: graceful stop, exit status 0)")
	start = time.Now()
	d.Ctr("task", "kill", id)
	if _, err := d.WaitTaskStatus(id, "STOPPED", 10*time.Second); err != nil {
		t.Fatalf("%v", err)
	}
	t.Logf("   stopped after %v", time.Since(start).Round(time.Millisecond))
	d.Ctr("task", "ls")
	d.Ctr("task", "rm", id)
	d.Ctr("container", "rm", id)
	t.Logf("\n== done; the registry and containerd are stopped and their directories removed")
}

// demoManifest is the example app as a Spin 2 manifest (spin.toml) over
// the built test apps.
func demoManifest(paths harness.Paths, spec harness.AppSpec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "spin_manifest_version = 2\n\n[application]\nname = %q\nversion = \"0.1.0\"\n", spec.Name)
	executors := map[string]string{}
	for _, c := range spec.Components {
		executors[c.ID] = c.Executor
	}
	for _, r := range spec.Routes {
		fmt.Fprintf(&b, "\n[[trigger.http]]\nroute = %q\ncomponent = %q\n", r.Route, r.Component)
		if executors[r.Component] == "wagi" {
			b.WriteString("executor = { type = \"wagi\" }\n")
		}
	}
	for _, c := range spec.Components {
		fmt.Fprintf(&b, "\n[component.%s]\nsource = %q\n", c.ID, paths.App(c.Wasm))
	}
	return b.String()
}
