package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// The fault suite: what an operator's hostile or unlucky day does to a
// running app, against real containerd. Rows covered elsewhere are not
// repeated here: kill -9 of the app (exit 137, clean delete) is
// testSIGKILL, bad artifacts are testBadInput (run_test.go), SIGTERM with a
// slow request in flight under CRI is cri_lifecycle_test.go.
//
// SPINOCI_SOAK=1 (make soak) scales the counts up.

// soak tells whether the long version runs.
func soak() bool { return os.Getenv("SPINOCI_SOAK") == "1" }

// scaled is n, or soakN under make soak.
func scaled(n, soakN int) int {
	if soak() {
		return soakN
	}
	return n
}

// Repositories of the fault suite.
const (
	repoFaultMulti    = "fault/multi:v1"
	repoFaultResource = "fault/resource:v1"
)

// maxAppRSS bounds the app process's resident memory after hostile
// requests (the apps themselves need a few tens of MB).
const maxAppRSS = 300 << 20

func TestFault(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	reg := harness.StartRegistry(t)
	d := harness.StartContainerd(t, harness.ContainerdLatest)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for repo, spec := range map[string]harness.AppSpec{
		repoFaultMulti: harness.MultiApp(""),
		repoFaultResource: {
			Name:       "fault-resource",
			Components: []harness.AppComponent{{ID: "resource", Wasm: harness.AppResourceGo, Executor: "wagi"}},
			Routes:     []harness.Route{{Route: "/...", Component: "resource"}},
		},
	} {
		app, err := paths.LocalLock(spec)
		if err != nil {
			t.Fatalf("local lock of %s: %v", repo, err)
		}
		if _, err := harness.Push(ctx, reg.Host, repo, app, artifact.PackOptions{}); err != nil {
			t.Fatalf("push %s: %v", repo, err)
		}
		d.Pull(harness.Ref(reg.Host, repo))
	}

	// One app takes the hostile traffic, then outlives a containerd
	// restart, then loses its shim.
	id := "fault-multi"
	addr, _ := d.For(t).RunDetached(t.Context(), harness.Ref(reg.Host, repoFaultMulti), id, harness.RunOptions{})
	t.Run("traps under load: every trap is a 500, every other request a 200", func(t *testing.T) {
		testTrapsUnderLoad(t, addr, scaled(2000, 10000))
	})
	t.Run("1 GB chunked body: 413, memory stays bounded", func(t *testing.T) { testHugeBody(t, d.For(t), id, addr) })
	t.Run("header flood: 431", func(t *testing.T) { testHeaderFlood(t, addr) })
	t.Run("slowloris headers do not block good requests", func(t *testing.T) {
		// Under the connection bound (¾ of ctr's open-file limit of 1024:
		// 768): connections over it wait in the listen backlog, good ones
		// too, until a slow one times out (the idle-connection case below
		// covers that).
		testSlowloris(t, addr, scaled(200, 700), time.Duration(scaled(5, 40))*time.Second)
	})
	t.Run("idle keep-alive connections: good requests served, idle ones closed at the idle timeout", func(t *testing.T) {
		testIdleKeepAlive(t, d.For(t), harness.Ref(reg.Host, repoFaultMulti))
	})
	t.Run("containerd restart: the app keeps serving and is still managed", func(t *testing.T) {
		d.Restart(t) // the daemon itself, not a view: its process changes
		expect(t, addr, request{path: "/go/after-restart", status: 200})
		if st := d.For(t).TaskStatus(id); st != "RUNNING" {
			t.Errorf("after the restart ctr task ls shows %q, want RUNNING", st)
		}
	})
	t.Run("kill -9 of the shim: delete leaves no socket, process or directory", func(t *testing.T) {
		testShimKilled(t, d.For(t), id)
	})
	t.Run("SIGTERM drains every in-flight request, exit 0", func(t *testing.T) {
		testDrain(t, d.For(t), harness.Ref(reg.Host, repoFaultResource), 10)
	})
	t.Run("compiled-code cache over its bound: unused entries go, entries in use stay", func(t *testing.T) {
		testCacheBound(t, paths, harness.Ref(reg.Host, repoFaultMulti), harness.Ref(reg.Host, repoFaultResource))
	})
}

// testCacheBound runs a daemon whose shims bound the compiled-code cache to
// one byte: every entry is over it, so only the locks of running apps keep
// entries.
func testCacheBound(t *testing.T, paths harness.Paths, multiRef, resourceRef string) {
	d := harness.StartContainerdWith(t, harness.ContainerdLatest, harness.ContainerdOptions{Env: []string{"SPINOCI_CACHE_MAX_SIZE=1"}})
	d.Pull(multiRef)
	d.Pull(resourceRef)
	cache := filepath.Join(d.Root, harness.RuntimeType, "cache")
	entryOf := func(app string) string {
		wasm, err := paths.ReadApp(app)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(wasm)
		return hex.EncodeToString(sum[:])
	}
	has := func(app string) bool {
		matches, _ := filepath.Glob(filepath.Join(cache, entryOf(app)+"-*.cwasm"))
		return len(matches) > 0
	}
	resourceAddr, _ := d.RunDetached(t.Context(), resourceRef, "cache-resource", harness.RunOptions{})
	multiAddr, _ := d.RunDetached(t.Context(), multiRef, "cache-multi-1", harness.RunOptions{})
	for _, app := range []string{harness.AppResourceGo, harness.AppSpinGo, harness.AppWagiGo} {
		if !has(app) {
			t.Errorf("%s: the entry of a running app was evicted", app)
		}
	}
	expect(t, resourceAddr, request{path: "/", status: 200})

	// The resource app stops; the next start evicts its entry only, in the
	// background once that app has loaded.
	if out, code := d.Ctr("task", "kill", "-s", "SIGKILL", "cache-resource"); code != 0 {
		t.Fatalf("ctr task kill: exit %d\n%s", code, out)
	}
	if _, err := d.WaitTaskStatus("cache-resource", "STOPPED", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	cleanupContainer(t, d, "cache-resource")
	// Its shim first finishes the app's optimising compile stage, which
	// adds the optimised entry.
	if left := d.Leftovers("cache-resource"); len(left) > 0 {
		t.Fatalf("cache-resource left behind: %v", left)
	}
	d.RunDetached(t.Context(), multiRef, "cache-multi-2", harness.RunOptions{})
	if err := waitFor(10*time.Second, func() bool { return !has(harness.AppResourceGo) }); err != nil {
		t.Errorf("the entry of a stopped app is still there over the bound: %v", err)
	}
	for _, app := range []string{harness.AppSpinGo, harness.AppWagiGo} {
		if !has(app) {
			t.Errorf("%s: the entry of a running app was evicted", app)
		}
	}
	expect(t, multiAddr, request{path: "/go/after-eviction", status: 200})
	entries, _ := os.ReadDir(cache)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Logf("cache after eviction: %s", strings.Join(names, " "))
}

func testTrapsUnderLoad(t *testing.T, addr string, n int) {
	var traps, oks, wrong atomic.Int64
	var firstWrong sync.Once
	jobs := make(chan int)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	start := time.Now()
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				path, want := fmt.Sprintf("/go/ok-%d", i), http.StatusOK
				if i%10 == 0 {
					path, want = fmt.Sprintf("/go/%d/trap", i), http.StatusInternalServerError
				}
				resp, err := client.Get("http://" + addr + path)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				switch {
				case err == nil && resp.StatusCode == want && want == http.StatusOK:
					oks.Add(1)
				case err == nil && resp.StatusCode == want:
					traps.Add(1)
				default:
					wrong.Add(1)
					firstWrong.Do(func() {
						status := 0
						if resp != nil {
							status = resp.StatusCode
						}
						t.Errorf("GET %s: status %d, error %v; want %d", path, status, err, want)
					})
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	t.Logf("%d requests in %v: %d answered 200, %d traps answered 500, %d wrong",
		n, time.Since(start).Round(time.Millisecond), oks.Load(), traps.Load(), wrong.Load())
	if wrong.Load() != 0 || traps.Load() != int64((n+9)/10) {
		t.Errorf("%d wrong answers, %d traps answered 500 of %d", wrong.Load(), traps.Load(), (n+9)/10)
	}
	expect(t, addr, request{path: "/go/after-traps", status: 200})
}

// testHugeBody streams a 1 GB chunked body (no Content-Length, so the
// limit cannot be checked up front) and wants 413 long before it is sent.
func testHugeBody(t *testing.T, d *harness.Containerd, id, addr string) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	fmt.Fprintf(conn, "POST /go/upload HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n", addr)
	start := time.Now()
	var sent atomic.Int64
	go func() {
		chunk := []byte(fmt.Sprintf("%x\r\n%s\r\n", 1<<20, strings.Repeat("x", 1<<20)))
		for sent.Load() < 1<<30 {
			if _, err := conn.Write(chunk); err != nil {
				return // the server answered and closed
			}
			sent.Add(1 << 20)
		}
		_, _ = conn.Write([]byte("0\r\n\r\n"))
	}()
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("1 GB chunked body: no response: %v", err)
	}
	t.Logf("POST 1 GB chunked → %s after %v, %d MiB sent", strings.TrimSpace(status), time.Since(start).Round(time.Millisecond), sent.Load()>>20)
	if !strings.HasPrefix(status, "HTTP/1.1 413 ") {
		t.Errorf("1 GB chunked body: %q, want 413", status)
	}
	if sent.Load() >= 1<<30 {
		t.Errorf("the whole body was sent before the answer")
	}
	checkRSS(t, d, id)
	expect(t, addr, request{path: "/go/after-body", status: 200})
}

func testHeaderFlood(t *testing.T, addr string) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	go func() {
		fmt.Fprintf(conn, "GET /go/flood HTTP/1.1\r\nHost: %s\r\n", addr)
		line := "X-Flood: " + strings.Repeat("f", 1000) + "\r\n"
		for range 4 << 10 { // 4 MB of headers
			if _, err := io.WriteString(conn, line); err != nil {
				return
			}
		}
		_, _ = io.WriteString(conn, "\r\n")
	}()
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("header flood: no response: %v", err)
	}
	t.Logf("GET with 4 MB of headers → %s", strings.TrimSpace(status))
	if !strings.HasPrefix(status, "HTTP/1.1 431 ") {
		t.Errorf("header flood: %q, want 431", status)
	}
	expect(t, addr, request{path: "/go/after-flood", status: 200})
}

// testSlowloris holds n connections that send their headers a byte at a
// time while good requests keep being answered promptly.
func testSlowloris(t *testing.T, addr string, n int, hold time.Duration) {
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("slow connection %d: %v", i, err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "GET /go/slow-%d HTTP/1.1\r\nHost: %s\r\nX-Slow: ", i, addr)
	}
	deadline := time.Now().Add(hold)
	var slowest time.Duration
	good := 0
	for time.Now().Before(deadline) {
		for _, c := range conns {
			_, _ = c.Write([]byte("a"))
		}
		start := time.Now()
		resp, err := harness.Get(context.Background(), "http://"+addr+"/go/good")
		took := time.Since(start)
		if err != nil || resp.Status != 200 {
			t.Fatalf("good request while %d connections are held: %d, %v", n, resp.Status, err)
		}
		slowest = max(slowest, took)
		good++
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("%d good requests while %d slow connections were held for %v; slowest %v", good, n, hold, slowest.Round(time.Millisecond))
	if slowest > 2*time.Second {
		t.Errorf("a good request took %v while slow connections were held, want ≤ 2s", slowest)
	}
}

// testShimKilled kills the shim server with SIGKILL, then deletes the task
// and the container as an operator would: the socket the shim listened on
// must be gone, with everything else of the task.
func testShimKilled(t *testing.T, d *harness.Containerd, id string) {
	sockets := func() map[string]bool {
		entries, _ := os.ReadDir(d.SocketDir)
		set := map[string]bool{}
		for _, e := range entries {
			set[e.Name()] = true
		}
		return set
	}
	before := sockets()
	if len(before) == 0 {
		t.Fatalf("no shim socket in %s while the task runs", d.SocketDir)
	}
	var shimPID int
	for _, p := range d.TaskProcs(id) {
		if len(p.Cmdline) > 1 && strings.HasSuffix(p.Cmdline[0], harness.ServerBinary) && p.Cmdline[1] == "-namespace" {
			shimPID = p.PID
		}
	}
	if shimPID == 0 {
		t.Fatalf("no shim server among the task's processes: %v", d.TaskProcs(id))
	}
	t.Logf("kill -9 %d (the shim server)", shimPID)
	if err := syscall.Kill(shimPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// containerd notices the dead shim and cleans up through the delete
	// action (the task goes); ctr task rm and container rm finish what is
	// left.
	deadline := time.Now().Add(10 * time.Second)
	for d.TaskStatus(id) == "RUNNING" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if d.TaskStatus(id) != "" {
		d.Ctr("task", "rm", "-f", id)
	}
	if out, code := d.Ctr("container", "rm", id); code != 0 {
		t.Errorf("ctr container rm: exit %d\n%s", code, out)
	}
	assertNoLeftovers(t, d, id)
	after := sockets()
	for name := range before {
		if after[name] {
			t.Errorf("shim socket %s/%s survived the delete", d.SocketDir, name)
		}
	}
}

// testDrain runs the slow app in the foreground, starts n slow requests,
// sends SIGTERM and wants every one answered and exit status 0.
func testDrain(t *testing.T, d *harness.Containerd, ref string, n int) {
	id := "fault-drain"
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	fg := startForeground(t, d, ref, id, addr)
	fg.waitServing(t, "http://"+addr+"/")
	type result struct {
		resp harness.Response
		err  error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			resp, err := harness.Get(context.Background(), "http://"+addr+"/sleep?ms=2000")
			results <- result{resp, err}
		}()
	}
	// Every request must be in the app before the signal.
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(fg.out.String(), "resource-go handled /sleep") < n {
		if time.Now().After(deadline) {
			t.Fatalf("the %d requests did not reach the app within 10s:\n%s", n, fg.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	if err := fg.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	answered := 0
	for range n {
		r := <-results
		if r.err == nil && r.resp.Status == 200 && r.resp.Body == "resource-go: slept 2000 ms\n" {
			answered++
		} else {
			t.Errorf("in-flight request: %d %q %v", r.resp.Status, r.resp.Body, r.err)
		}
	}
	code := fg.wait(t, 15*time.Second)
	t.Logf("SIGTERM with %d requests in flight: %d answered, exit %d after %v", n, answered, code, time.Since(start).Round(time.Millisecond))
	if code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	assertNoLeftovers(t, d, id)
}

// checkRSS fails when the app process of id holds more than maxAppRSS.
func checkRSS(t *testing.T, d *harness.Containerd, id string) {
	t.Helper()
	task, ok := d.Task(id)
	if !ok {
		t.Errorf("no app process of %s in ctr task ls", id)
		return
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", task.PID))
	if err != nil {
		t.Fatalf("app process %d: %v", task.PID, err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			t.Logf("app process %d: VmRSS %d MiB", task.PID, kb>>10)
			if kb<<10 > maxAppRSS {
				t.Errorf("app resident memory %d MiB, want ≤ %d MiB", kb>>10, maxAppRSS>>20)
			}
			return
		}
	}
	t.Errorf("app process %d of %s: no VmRSS in /proc/%d/status", task.PID, id, task.PID)
}
