package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// cliApps are the manifests of cmd/spinoci/testdata, with the requests
// that exercise them. Both run the test apps, which build.sh puts in apps/.
func cliApps() []struct {
	name string
	reqs []request
} {
	spinGo := func(path, info string) request {
		return request{path: path, status: 200, want: "spin-go: route=/go path-info=" + info + " method=GET\n"}
	}
	return []struct {
		name string
		reqs []request
	}{
		{name: "spin1", reqs: []request{
			{path: "/", status: 200, want: helloBody, contentType: "text/plain"},
			{path: "/some/page", status: 200, want: helloBody},
			spinGo("/go/hello", "/hello"),
			{method: http.MethodPost, path: "/wagi/x?a=b", send: "ping", status: 200, prefix: "wagi-go: path-info=/x query=a=b args=", suffix: "ping"},
			{path: "/go/trap", status: 500},
			spinGo("/go/after-trap", "/after-trap"),
		}},
		{name: "spin2", reqs: []request{
			{path: "/", status: 200, want: helloBody},
			{path: "/again", status: 200, want: helloBody},
			{path: "/again/not", status: 200, want: helloBody},
			spinGo("/go/x", "/x"),
			{path: "/go/exact", status: 200, prefix: "wagi-go: path-info= query= args="},
			{path: "/wagi/y", status: 200, prefix: "wagi-go: path-info=/y query= args=", suffix: "from-spin2\n"},
		}},
	}
}

// TestCLIRoundTrip pushes the Spin 1 and Spin 2 manifests of
// cmd/spinoci/testdata with the real spinoci binary to the real registry,
// pulls them with `ctr image pull`, runs them with the shim (`ctr run`) and
// with `spinoci run` (from the registry and from the manifest directory),
// and compares the responses.
func TestCLIRoundTrip(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	cli := paths.CLI()
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("spinoci CLI: %v (run `make build`)", err)
	}
	apps := t.TempDir()
	build := exec.Command(filepath.Join(harness.RepoRoot(), "test", "apps", "build.sh"), apps)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("test/apps/build.sh: %v\n%s", err, out)
	}
	reg := harness.StartRegistry(t)
	d := harness.StartContainerd(t, harness.ContainerdLatest)
	cache := t.TempDir()

	for _, app := range cliApps() {
		t.Run(app.name, func(t *testing.T) {
			d := d.For(t)
			dir := filepath.Join(t.TempDir(), app.name)
			if err := os.CopyFS(dir, os.DirFS(filepath.Join(harness.RepoRoot(), "cmd", "spinoci", "testdata", app.name))); err != nil {
				t.Fatal(err)
			}
			if err := os.CopyFS(filepath.Join(dir, "apps"), os.DirFS(apps)); err != nil {
				t.Fatal(err)
			}
			ref := harness.Ref(reg.Host, "cli/"+app.name+":v1")
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			dgst, err := harness.SpinociPush(ctx, cli, dir, ref, cache)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("$ spinoci push --from %s %s → %s", dir, ref, dgst)

			d.Pull(ref)
			if out, _ := d.Ctr("image", "ls"); !strings.Contains(out, dgst) {
				t.Errorf("ctr image ls does not show the pushed digest %s:\n%s", dgst, out)
			}

			id := "cli-" + app.name
			addr, _ := d.RunDetached(t.Context(), ref, id, harness.RunOptions{Flags: []string{"--env", "SPIN_VARIABLE_TOKEN=secret"}})
			expect(t, addr, app.reqs...)
			viaShim := responses(t, addr, app.reqs)
			d.Ctr("task", "kill", id)
			if _, err := d.WaitTaskStatus(id, "STOPPED", 10*time.Second); err != nil {
				t.Error(err)
			}
			cleanupContainer(t, d, id)

			for _, target := range []string{ref, dir} {
				t.Run("spinoci run "+filepath.Base(target), func(t *testing.T) {
					got := spinociRun(t, cli, app.reqs, "run", target, "--plain-http", "--cache-dir", cache, "--variable", "token=secret")
					for i, r := range app.reqs {
						if got[i] != viaShim[i] {
							t.Errorf("%s %s: spinoci run answered %s, ctr run answered %s", r.method, r.path, got[i], viaShim[i])
						}
					}
				})
			}
		})
	}
}

// responses replays reqs and returns each status, content type and body.
func responses(t *testing.T, addr string, reqs []request) []string {
	t.Helper()
	var out []string
	for _, r := range reqs {
		method := r.method
		if method == "" {
			method = http.MethodGet
		}
		resp, err := harness.Do(t.Context(), method, "http://"+addr+r.path, r.send)
		if err != nil {
			t.Fatalf("%s %s: %v", method, r.path, err)
		}
		out = append(out, fmt.Sprintf("%d %s %q", resp.Status, resp.Header.Get("Content-Type"), resp.Body))
	}
	return out
}

// spinociRun starts `spinoci run`, checks reqs against it, collects the
// responses, then stops it with SIGTERM, which must end it with status 0.
func spinociRun(t *testing.T, cli string, reqs []request, args ...string) []string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	cmd := exec.Command(cli, append(args, "--listen", addr)...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			<-done
		}
	})
	if _, err := harness.WaitHTTP(t.Context(), "http://"+addr+"/", time.Minute); err != nil {
		t.Fatalf("spinoci %s: %v\noutput:\n%s", strings.Join(args, " "), err, output.String())
	}
	expect(t, addr, reqs...)
	got := responses(t, addr, reqs)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		stopped = true
		if err != nil {
			t.Errorf("spinoci run after SIGTERM: %v, want exit status 0\n%s", err, output.String())
		}
	case <-time.After(10 * time.Second):
		t.Errorf("spinoci run did not stop within 10s of SIGTERM")
	}
	if !strings.Contains(output.String(), "Serving http://"+addr) {
		t.Errorf("spinoci run output lacks the address:\n%s", output.String())
	}
	return got
}
