package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/test/e2e/harness"
	"github.com/spinoci/spinoci/test/testio"
)

// Repositories pushed for each daemon.
const (
	repoMulti     = "e2e/multi:v1"
	repoLinux     = "e2e/linux:v1"
	repoCorrupt   = "e2e/corrupt:v1"
	repoDotDot    = "e2e/dotdot:v1"
	repoFrob      = "e2e/frobnicate:v1"
	repoComponent = "e2e/component:v1"
)

// stopGrace is how fast a SIGTERM must end a task.
const stopGrace = 2 * time.Second

// fixture is one daemon with every artifact pulled into it.
type fixture struct {
	paths harness.Paths
	reg   *harness.Registry
	d     *harness.Containerd
	// corruptBlob is the data layer of repoCorrupt.
	corruptBlob digest.Digest
}

func (f *fixture) ref(repo string) string { return harness.Ref(f.reg.Host, repo) }

// TestSpinApp runs every scenario against each pinned containerd version.
func TestSpinApp(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	for _, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			f := setup(t, paths, v)

			// The first run happens while the registry is up.
			t.Run("foreground run, SIGTERM to ctr exits 0", func(t *testing.T) { testForegroundSIGTERM(t, f) })

			// From here on only containerd's content store can serve the app.
			f.reg.Stop()
			if _, err := harness.Get(context.Background(), "http://"+f.reg.Host+"/v2/"); err == nil {
				t.Fatalf("registry %s still answers after Stop", f.reg.Host)
			}
			t.Run("detached run with the registry stopped: routes, trap, logs, ctr task kill", func(t *testing.T) { testDetached(t, f) })
			t.Run("detached run without log, ctr task kill -s SIGKILL gives 137", func(t *testing.T) { testSIGKILL(t, f) })
			t.Run("foreground run, ctr task kill -s SIGKILL: ctr exits 137", func(t *testing.T) { testForegroundSIGKILL(t, f) })
			t.Run("events: create, start, exit, delete in order", func(t *testing.T) { testEventOrder(t, f) })
			t.Run("bad input", func(t *testing.T) { testBadInput(t, f) })
			t.Run("start failures reported once", func(t *testing.T) { testStartFailuresReportedOnce(t, f) })
		})
	}
}

// setup starts a registry and a daemon, pushes every artifact and pulls each.
func setup(t *testing.T, paths harness.Paths, version string) *fixture {
	t.Helper()
	f := &fixture{paths: paths, reg: harness.StartRegistry(t), d: harness.StartContainerd(t, version)}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	// The multi-route app, packed the way `spin registry push` does, with a
	// static file mounted into hello.
	files := t.TempDir()
	if err := os.WriteFile(filepath.Join(files, "static.txt"), bytes.Repeat([]byte("static content\n"), 20), 0o644); err != nil {
		t.Fatal(err)
	}
	app, err := paths.LocalLock(harness.MultiApp(files))
	if err != nil {
		t.Fatalf("local lock: %v", err)
	}
	if _, err := harness.Push(ctx, f.reg.Host, repoMulti, app, artifact.PackOptions{}); err != nil {
		t.Fatalf("push: %v", err)
	}

	// An ordinary Linux image.
	if _, err := harness.PushLinuxImage(ctx, f.reg.Host, repoLinux,
		[]harness.TarFile{{Name: "bin/hello", Mode: 0o755, Data: []byte("#!/bin/sh\necho hello\n")}}, []string{"/bin/hello"}); err != nil {
		t.Fatalf("push linux image: %v", err)
	}

	hello, err := paths.ReadApp(harness.AppHello)
	if err != nil {
		t.Fatal(err)
	}
	wasm := harness.WasmLayer(hello)

	// A valid app whose data layer is unique to it, so that corrupting it in
	// the content store affects nothing else.
	unique := make([]byte, 4096)
	_, _ = rand.Read(unique)
	data := harness.DataLayer(unique)
	f.corruptBlob = data.Desc().Digest
	lk := harness.SingleComponentLock(wasm.Desc().Digest, "spin",
		[]map[string]string{{"digest": f.corruptBlob.String(), "path": "data.bin"}})
	pushB(t, ctx, f, repoCorrupt, lk, wasm, data)

	// A file path escaping the app directory.
	escape := harness.DataLayer([]byte("escaped\n"))
	lk = harness.SingleComponentLock(wasm.Desc().Digest, "spin",
		[]map[string]string{{"digest": escape.Desc().Digest.String(), "path": "../escape.txt"}})
	pushB(t, ctx, f, repoDotDot, lk, wasm, escape)

	// An unknown must_understand entry.
	lk = harness.SingleComponentLock(wasm.Desc().Digest, "spin", nil)
	lk.SpinLockVersion = 1
	lk.MustUnderstand = []string{"frobnicate"}
	pushB(t, ctx, f, repoFrob, lk, wasm)

	// A component binary.
	comp := harness.WasmLayer(harness.ComponentBinary())
	lk = harness.SingleComponentLock(comp.Desc().Digest, "spin", nil)
	pushB(t, ctx, f, repoComponent, lk, comp)

	for _, repo := range []string{repoMulti, repoLinux, repoCorrupt, repoDotDot, repoFrob, repoComponent} {
		f.d.Pull(f.ref(repo))
	}
	return f
}

func pushB(t *testing.T, ctx context.Context, f *fixture, repo string, lk harness.PushedLock, layers ...harness.Blob) {
	t.Helper()
	if _, err := harness.PushSpinB(ctx, f.reg.Host, repo, lk.JSON(), layers); err != nil {
		t.Fatalf("push %s: %v", repo, err)
	}
}

// runArgs are the ctr run arguments for the shim listening on addr.
func runArgs(addr string) []string {
	return []string{"--net-host", "--runtime", harness.RuntimeType, "--env", "SPIN_HTTP_LISTEN_ADDR=" + addr}
}

// foreground is a `ctr run --rm` (without -d) running in the background.
type foreground struct {
	cmd  *exec.Cmd
	out  *testio.Buffer
	done chan struct{}
	code int
}

// startForeground starts `ctr run --rm <run args> ref id`. Its cleanup kills
// whatever is left (ctr, task, container).
func startForeground(t *testing.T, d *harness.Containerd, ref, id, addr string) *foreground {
	t.Helper()
	args := append(append([]string{"run", "--rm"}, runArgs(addr)...), ref, id)
	t.Logf("$ ctr %s &", strings.Join(args, " "))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	fg := &foreground{cmd: d.CtrCommand(ctx, args...), out: &testio.Buffer{}, done: make(chan struct{})}
	fg.cmd.Stdout = fg.out
	fg.cmd.Stderr = fg.out
	if err := fg.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start ctr run: %v", err)
	}
	go func() {
		err := fg.cmd.Wait()
		fg.code = exitCodeOf(err)
		cancel()
		close(fg.done)
	}()
	t.Cleanup(func() {
		if !fg.exited() {
			_ = fg.cmd.Process.Kill()
			<-fg.done
		}
		cleanupContainer(t, d, id)
	})
	return fg
}

func exitCodeOf(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

func (fg *foreground) exited() bool {
	select {
	case <-fg.done:
		return true
	default:
		return false
	}
}

// wait waits up to timeout for ctr to exit and returns its exit code.
func (fg *foreground) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-fg.done:
		return fg.code
	case <-time.After(timeout):
		t.Fatalf("ctr run did not exit within %v; output so far:\n%s", timeout, fg.out.String())
		return -1
	}
}

// waitServing waits for the first 200 on url, failing early if ctr exits.
func (fg *foreground) waitServing(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-fg.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	if _, err := harness.WaitHTTP(ctx, url, 60*time.Second); err != nil {
		if fg.exited() {
			t.Fatalf("ctr run exited (code %d) before serving:\n%s", fg.code, fg.out.String())
		}
		t.Fatalf("%v; ctr output so far:\n%s", err, fg.out.String())
	}
}

// cleanupContainer removes whatever is left of a container after a test,
// quietly when there is nothing.
func cleanupContainer(t *testing.T, d *harness.Containerd, id string) {
	d.For(t).RemoveContainer(id)
}

func assertNoLeftovers(t *testing.T, d *harness.Containerd, id string) {
	t.Helper()
	if left := d.Leftovers(id); len(left) > 0 {
		t.Errorf("container %s left behind:\n  %s", id, strings.Join(left, "\n  "))
	}
}

func testForegroundSIGTERM(t *testing.T, f *fixture) {
	d := f.d.For(t)
	id := "fg-term"
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	fg := startForeground(t, d, f.ref(repoMulti), id, addr)
	fg.waitServing(t, "http://"+addr+"/")
	expect(t, addr, request{path: "/go/foreground", status: 200, want: "spin-go: route=/go path-info=/foreground method=GET\n"})
	if st := d.TaskStatus(id); st != "RUNNING" {
		t.Errorf("ctr task ls: %s is %q, want RUNNING", id, st)
	}

	t.Logf("sending SIGTERM to ctr (pid %d), which forwards it to the task", fg.cmd.Process.Pid)
	start := time.Now()
	if err := fg.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := fg.wait(t, 10*time.Second)
	t.Logf("ctr run exited %d after %v; output:\n%s", code, time.Since(start).Round(time.Millisecond), fg.out.String())
	if code != 0 {
		t.Errorf("foreground ctr run ended by SIGTERM exited %d, want 0", code)
	}
	if took := time.Since(start); took > stopGrace {
		t.Errorf("SIGTERM to exit took %v, want ≤ %v", took, stopGrace)
	}
	if !strings.Contains(fg.out.String(), "spin-go handled") || !strings.Contains(fg.out.String(), "/go/foreground") {
		t.Errorf("the app's stdout (spin-go handled /go/foreground) is not in ctr's output")
	}
	assertNoLeftovers(t, d, id)
}

// request is one HTTP exchange and what must come back.
type request struct {
	method, path, send string // send is the request body
	status             int
	want               string // the exact response body, when not empty
	prefix, suffix     string // of the response body, when not empty
	contentType        string // prefix of the Content-Type, when not empty
}

func expect(t *testing.T, addr string, reqs ...request) {
	t.Helper()
	for _, r := range reqs {
		method := r.method
		if method == "" {
			method = http.MethodGet
		}
		resp, err := harness.Do(context.Background(), method, "http://"+addr+r.path, r.send)
		if err != nil {
			t.Errorf("%s %s: %v", method, r.path, err)
			continue
		}
		what := fmt.Sprintf("%s %s → %d %q", method, r.path, resp.Status, resp.Body)
		t.Logf("%s", what)
		if resp.Status != r.status {
			t.Errorf("%s: want status %d", what, r.status)
		}
		if r.want != "" && resp.Body != r.want {
			t.Errorf("%s: want body %q", what, r.want)
		}
		if r.prefix != "" && !strings.HasPrefix(resp.Body, r.prefix) {
			t.Errorf("%s: want body starting %q", what, r.prefix)
		}
		if r.suffix != "" && !strings.HasSuffix(resp.Body, r.suffix) {
			t.Errorf("%s: want body ending %q", what, r.suffix)
		}
		if r.contentType != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), r.contentType) {
			t.Errorf("%s: content-type %q, want %q", what, resp.Header.Get("Content-Type"), r.contentType)
		}
	}
}

func testForegroundSIGKILL(t *testing.T, f *fixture) {
	d := f.d.For(t)
	id := "fg-kill"
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	fg := startForeground(t, d, f.ref(repoMulti), id, addr)
	fg.waitServing(t, "http://"+addr+"/")
	if out, code := d.Ctr("task", "kill", "-s", "SIGKILL", id); code != 0 {
		t.Fatalf("ctr task kill -s SIGKILL: exit %d\n%s", code, out)
	}
	code := fg.wait(t, 10*time.Second)
	t.Logf("ctr run exited %d; output:\n%s", code, fg.out.String())
	if code != 137 {
		t.Errorf("foreground ctr run of a SIGKILLed task exited %d, want 137", code)
	}
	assertNoLeftovers(t, d, id)
}
