package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

const helloBody = "hello from spinoci\n"

// routeChecks are the responses of the multi-route app (harness.MultiApp).
func routeChecks() []request {
	return []request{
		{path: "/", status: 200, want: helloBody, contentType: "text/plain"},
		{path: "/anything/else", status: 200, want: helloBody},
		// "/go/..." matches /go and /go/x but not /gopher.
		{path: "/gopher", status: 200, want: helloBody},
		{path: "/go", status: 200, want: "spin-go: route=/go path-info= method=GET\n"},
		{path: "/go/hello", status: 200, want: "spin-go: route=/go path-info=/hello method=GET\n"},
		{method: http.MethodPut, path: "/go/put", status: 200, want: "spin-go: route=/go path-info=/put method=PUT\n"},
		// The exact route beats the wildcard; only the exact path matches it.
		{path: "/go/exact", status: 200, prefix: "wagi-go: path-info= query= args=", contentType: "text/plain"},
		{path: "/go/exact/more", status: 200, want: "spin-go: route=/go path-info=/exact/more method=GET\n"},
		// WAGI: PATH_INFO, QUERY_STRING and the body on stdin.
		{path: "/wagi/x?a=b", status: 200, prefix: "wagi-go: path-info=/x query=a=b args="},
		{method: http.MethodPost, path: "/wagi/echo", send: "ping-body", status: 200, prefix: "wagi-go: path-info=/echo query= args=", suffix: "ping-body"},
		// A trap answers 500 and the server keeps serving.
		{path: "/go/trap", status: 500},
		{path: "/go/after-trap", status: 200, want: "spin-go: route=/go path-info=/after-trap method=GET\n"},
		{path: "/", status: 200, want: helloBody},
	}
}

func testDetached(t *testing.T, f *fixture) {
	d := f.d.For(t)
	id := "detached"
	logPath := filepath.Join(t.TempDir(), "app.log")
	addr, _ := d.RunDetached(t.Context(), f.ref(repoMulti), id, harness.RunOptions{LogPath: logPath,
		Flags: []string{"--env", "SPINOCI_POOL_RENEW_IDLE=3s"}})
	if st := d.TaskStatus(id); st != "RUNNING" {
		t.Errorf("ctr task ls: %s is %q, want RUNNING", id, st)
	}

	expect(t, addr, routeChecks()...)
	// The Go module's instance pool gives back the memory of a burst.
	checkPoolRenewed(t, taskPid(t, d, id), addr, exchange{path: "/go/x", status: 200, want: "spin-go: route=/go path-info=/x method=GET\n"})

	// The app's stdout reaches the --log-uri file.
	if err := waitFor(5*time.Second, func() bool {
		log := readFile(logPath)
		return strings.Contains(log, "spin-go handled") && strings.Contains(log, "/go/hello")
	}); err != nil {
		t.Errorf("the app's stdout (spin-go handled /go/hello) did not reach %s:\n%s", logPath, readFile(logPath))
	}

	// SIGTERM: graceful stop within 2 s, exit status 0.
	start := time.Now()
	if out, code := d.Ctr("task", "kill", id); code != 0 {
		t.Fatalf("ctr task kill: exit %d\n%s", code, out)
	}
	if _, err := d.WaitTaskStatus(id, "STOPPED", 10*time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v", err)
	}
	took := time.Since(start)
	t.Logf("STOPPED %v after ctr task kill", took.Round(time.Millisecond))
	if took > stopGrace {
		t.Errorf("SIGTERM took %v to stop the task, want ≤ %v", took, stopGrace)
	}
	out, code := d.Ctr("task", "rm", id)
	if code != 0 || strings.Contains(out, "exit code") {
		t.Errorf("ctr task rm after SIGTERM: exit %d, want 0 and no non-zero exit status reported:\n%s", code, out)
	}
	if out, code := d.Ctr("container", "rm", id); code != 0 {
		t.Errorf("ctr container rm: exit %d\n%s", code, out)
	}
	assertNoLeftovers(t, d, id)
}

// testSIGKILL runs the app detached without a log URI (ctr exits, so the
// stdio FIFOs lose their reader), checks that output from the app does not
// stop it serving, then kills it with SIGKILL: status 137.
func testSIGKILL(t *testing.T, f *fixture) {
	d := f.d.For(t)
	id := "detached-kill"
	addr, _ := d.RunDetached(t.Context(), f.ref(repoMulti), id, harness.RunOptions{})
	var reqs []request
	for i := 0; i < 20; i++ {
		reqs = append(reqs, request{path: fmt.Sprintf("/go/print-%d", i), status: 200})
	}
	expect(t, addr, reqs...)

	if out, code := d.Ctr("task", "kill", "-s", "SIGKILL", id); code != 0 {
		t.Fatalf("ctr task kill -s SIGKILL: exit %d\n%s", code, out)
	}
	if _, err := d.WaitTaskStatus(id, "STOPPED", 5*time.Second); err != nil {
		t.Fatalf("after SIGKILL: %v", err)
	}
	// ctr task rm reports a non-zero exit status as a warning.
	if out, _ := d.Ctr("task", "rm", id); !strings.Contains(out, "exit code 137") {
		t.Errorf("ctr task rm after SIGKILL does not report exit code 137:\n%s", out)
	}
	if out, code := d.Ctr("container", "rm", id); code != 0 {
		t.Errorf("ctr container rm: exit %d\n%s", code, out)
	}
	assertNoLeftovers(t, d, id)
}

// testBadInput runs artifacts the shim must refuse: each run fails with an
// error naming the problem (in ctr's output, not again on the container's
// stderr), and nothing is left behind.
func testBadInput(t *testing.T, f *fixture) {
	cases := []struct {
		name, repo, want string
		prepare          func(t *testing.T)
	}{
		{name: "linux image", repo: repoLinux, want: "not a Spin application"},
		{name: "layer bytes do not match digest", repo: repoCorrupt, want: "digest mismatch", prepare: func(t *testing.T) {
			path := f.d.BlobPath(f.corruptBlob)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("blob %s not in the content store: %v", f.corruptBlob, err)
			}
			for i := range b {
				b[i] ^= 0xff
			}
			if err := os.WriteFile(path, b, 0o444); err != nil {
				t.Fatalf("corrupt %s: %v", path, err)
			}
			t.Logf("overwrote %s (same size, inverted bytes)", path)
		}},
		{name: "file path with ..", repo: repoDotDot, want: `"../escape.txt"`},
		{name: "unknown must_understand", repo: repoFrob, want: "frobnicate"},
		// Components run since issue #6; one that serves no HTTP is refused.
		{name: "component without wasi:http", repo: repoComponent, want: "component exports no wasi:http/incoming-handler"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := f.d.For(t)
			id := fmt.Sprintf("bad-%d", i)
			if tc.prepare != nil {
				tc.prepare(t)
			}
			t.Cleanup(func() { cleanupContainer(t, d, id) })
			addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			// The container's stdout and stderr go to logPath.
			logPath := filepath.Join(t.TempDir(), "container.log")
			args := append([]string{"run", "--rm", "--log-uri", "file://" + logPath}, runArgs(addr)...)
			out, code := d.CtrContext(ctx, append(args, f.ref(tc.repo), id)...)
			if code == 0 {
				t.Errorf("ctr run of %s succeeded, want an error containing %q", tc.repo, tc.want)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("ctr run output lacks %q:\n%s", tc.want, out)
			}
			// ctr prints the error itself; only CRI containers get it on
			// their stderr (kubectl logs).
			if log := readFile(logPath); strings.Contains(log, tc.want) {
				t.Errorf("the container's stderr (--log-uri %s) repeats the error ctr prints:\n%s", logPath, log)
			}
			if _, err := harness.Get(ctx, "http://"+addr+"/"); err == nil {
				t.Errorf("something answers on %s after a failed run", addr)
			}
			assertNoLeftovers(t, d, id)
			if out, _ := d.CtrContext(ctx, "container", "ls", "-q"); containsLine(out, id) {
				t.Errorf("container %s still exists after ctr run --rm failed", id)
			}
		})
	}
}

func containsLine(out, s string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == s {
			return true
		}
	}
	return false
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return string(b)
}

func waitFor(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("condition not met within %v", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// pushLocal pushes the app spec describes (its wasm built by `make
// testapps`) to reg as repo, pulls it into d and returns its reference.
func pushLocal(ctx context.Context, t *testing.T, paths harness.Paths, reg *harness.Registry, d *harness.Containerd, repo string, spec harness.AppSpec) string {
	t.Helper()
	app, err := paths.LocalLock(spec)
	if err != nil {
		t.Fatalf("%v (run `make testapps`)", err)
	}
	if _, err := harness.Push(ctx, reg.Host, repo, app, artifact.PackOptions{}); err != nil {
		t.Fatalf("push %s: %v", repo, err)
	}
	ref := harness.Ref(reg.Host, repo)
	d.Pull(ref)
	return ref
}
