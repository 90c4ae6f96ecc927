package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// cgroupRoots are the directories a cgroup path lives under: each v1
// controller's hierarchy, or the v2 unified one.
func cgroupRoots() []string {
	roots := []string{"/sys/fs/cgroup"}
	entries, _ := os.ReadDir("/sys/fs/cgroup")
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", e.Name(), "cgroup.procs")); err == nil {
			roots = append(roots, filepath.Join("/sys/fs/cgroup", e.Name()))
		}
	}
	return roots
}

// assertNoCgroup checks that no cgroup is left below parent (a path in the
// hierarchy, e.g. /spinocie2e.slice), then removes parent and its
// ancestors up to top, which the shim created for the test's pods (kubelet
// owns them on a real node).
func assertNoCgroup(t *testing.T, parent, top string) {
	t.Helper()
	for _, root := range cgroupRoots() {
		dir := filepath.Join(root, parent)
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.IsDir() {
				t.Errorf("cgroup %s left behind", filepath.Join(dir, e.Name()))
			}
		}
		for p := parent; strings.HasPrefix(p, top); p = filepath.Dir(p) {
			if err := os.Remove(filepath.Join(root, p)); err != nil && !os.IsNotExist(err) {
				t.Logf("removing test cgroup %s: %v", filepath.Join(root, p), err)
			}
		}
	}
}

// assertNoPodCgroups checks that none of the fixture's pods and containers
// left a cgroup under CRI's default parent (/k8s.io, used when a pod names
// no cgroup parent), then removes that parent if it is empty.
func assertNoPodCgroups(t *testing.T, f *criFixture) {
	t.Helper()
	parent := "/" + harness.CRINamespace
	for _, root := range cgroupRoots() {
		for _, id := range f.ids {
			if _, err := os.Stat(filepath.Join(root, parent, id)); err == nil {
				t.Errorf("cgroup %s left behind", filepath.Join(root, parent, id))
			}
		}
		_ = os.Remove(filepath.Join(root, parent)) // fails while other pods use it
	}
}

// cgroupFile reads a file of the memory controller of a cgroup, v1 or v2.
func cgroupFile(path, v1Name, v2Name string) string {
	if b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory", path, v1Name)); err == nil {
		return strings.TrimSpace(string(b))
	}
	b, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup", path, v2Name))
	return strings.TrimSpace(string(b))
}

func testCRIMemoryLimit(t *testing.T, f *criFixture) {
	cri := f.d.For(t).Crictl()
	parent := "/spinoci-e2e-mem" + strings.ReplaceAll(f.version, ".", "")
	p := runPod(t, f, harness.PodConfig{Name: "mem", HostNetwork: true, CgroupParent: parent})
	const limit = 192 << 20
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	id := startContainer(t, f, p, harness.ContainerConfig{
		Name: "hog", Image: f.ref(criRepoResource), MemoryLimit: limit, CPUQuota: 50000, CPUPeriod: 100000,
		Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addr},
	})
	if _, err := harness.WaitHTTP(context.Background(), "http://"+addr+"/", 60*time.Second); err != nil {
		out, _ := cri.Run("logs", id)
		t.Fatalf("%v\nlogs:\n%s", err, out)
	}
	cgroup := filepath.Join(parent, id) // cgroupfs style: <parent>/<id>
	if got := cgroupFile(cgroup, "memory.limit_in_bytes", "memory.max"); got != fmt.Sprint(limit) {
		t.Errorf("memory limit of cgroup %s is %q, want %d", cgroup, got, limit)
	}
	// Half a CPU.
	quota, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup/cpu", cgroup, "cpu.cfs_quota_us"))
	if len(quota) == 0 {
		quota, _ = os.ReadFile(filepath.Join("/sys/fs/cgroup", cgroup, "cpu.max"))
	}
	if q := strings.TrimSpace(string(quota)); q != "50000" && q != "50000 100000" {
		t.Errorf("CPU quota of cgroup %s is %q, want 50000 µs per 100000", cgroup, q)
	}
	// Within the limit: fine.
	expect(t, addr, request{path: "/alloc?mb=16", status: 200, want: "resource-go: touched 16 MiB\n"})
	before := memoryWorkingSet(t, cri, id)
	t.Logf("working set before the big allocation: %d MiB", before>>20)

	// Far over it: the kernel kills the app.
	resp, err := harness.Get(context.Background(), "http://"+addr+"/alloc?mb=1024")
	t.Logf("GET /alloc?mb=1024 → %+v, %v", resp.Status, err)
	if err == nil && resp.Status == 200 {
		t.Errorf("allocating 1 GiB under a %d MiB limit succeeded", limit>>20)
	}
	st, err := cri.WaitState(id, "CONTAINER_EXITED", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after the allocation: %s exit %d reason %q", st.Status.State, st.Status.ExitCode, st.Status.Reason)
	if st.Status.ExitCode != 137 {
		t.Errorf("exit code %d, want 137 (SIGKILL by the OOM killer)", st.Status.ExitCode)
	}
	if st.Status.Reason != "OOMKilled" {
		t.Errorf("reason %q, want OOMKilled (the shim's /tasks/oom event)", st.Status.Reason)
	}
	cri.Must("rm", id)
	removePod(t, f, p, id)
	assertNoCgroup(t, parent, parent)
}

func testCRIGracefulStop(t *testing.T, f *criFixture) {
	cri := f.d.For(t).Crictl()
	p := runPod(t, f, harness.PodConfig{Name: "grace", HostNetwork: true})
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	cfg := harness.ContainerConfig{Name: "slow", Image: f.ref(criRepoResource), Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addr}}
	id := startContainer(t, f, p, cfg)
	if _, err := harness.WaitHTTP(context.Background(), "http://"+addr+"/", 60*time.Second); err != nil {
		t.Fatal(err)
	}

	// A 3 s request in flight when kubelet stops the container with a 10 s
	// grace period: SIGTERM, the app drains, the answer arrives, exit 0.
	type result struct {
		resp harness.Response
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		r, err := harness.Get(context.Background(), "http://"+addr+"/sleep?ms=3000")
		inflight <- result{r, err}
	}()
	if err := waitFor(10*time.Second, func() bool {
		out, _ := cri.Quiet("logs", id)
		return strings.Contains(out, "resource-go handled /sleep")
	}); err != nil {
		t.Fatalf("the slow request did not reach the app")
	}
	start := time.Now()
	cri.Must("stop", "--timeout", "10", id)
	took := time.Since(start)
	r := <-inflight
	t.Logf("crictl stop --timeout 10 took %v; in-flight request: %+v %v", took.Round(time.Millisecond), r.resp.Status, r.err)
	if r.err != nil || r.resp.Status != 200 || r.resp.Body != "resource-go: slept 3000 ms\n" {
		t.Errorf("in-flight request: %d %q %v, want 200 \"resource-go: slept 3000 ms\"", r.resp.Status, r.resp.Body, r.err)
	}
	if took > 9*time.Second {
		t.Errorf("stop took %v, longer than the request", took)
	}
	st, err := cri.Inspect(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status.State != "CONTAINER_EXITED" || st.Status.ExitCode != 0 {
		t.Errorf("after a graceful stop: %s exit %d, want CONTAINER_EXITED 0", st.Status.State, st.Status.ExitCode)
	}
	cri.Must("rm", id)

	// A request longer than the grace period: SIGKILL when it ends.
	cfg.Attempt = 1
	id2 := startContainer(t, f, p, cfg)
	if _, err := harness.WaitHTTP(context.Background(), "http://"+addr+"/", 60*time.Second); err != nil {
		t.Fatal(err)
	}
	go func() {
		r, err := harness.Get(context.Background(), "http://"+addr+"/sleep?ms=30000")
		inflight <- result{r, err}
	}()
	if err := waitFor(10*time.Second, func() bool {
		out, _ := cri.Quiet("logs", id2)
		return strings.Contains(out, "resource-go handled /sleep")
	}); err != nil {
		t.Fatalf("the slow request did not reach the app")
	}
	start = time.Now()
	cri.Must("stop", "--timeout", "2", id2)
	took = time.Since(start)
	st, err = cri.Inspect(id2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("crictl stop --timeout 2 took %v: exit %d", took.Round(time.Millisecond), st.Status.ExitCode)
	if took < 1500*time.Millisecond || took > 6*time.Second {
		t.Errorf("stop with a 2 s grace period took %v", took)
	}
	if st.Status.ExitCode != 137 {
		t.Errorf("exit code %d after the grace period, want 137", st.Status.ExitCode)
	}
	if r := <-inflight; r.err == nil {
		t.Errorf("the request cut by SIGKILL was answered: %d %q", r.resp.Status, r.resp.Body)
	}
	cri.Must("rm", id2)
	removePod(t, f, p, id, id2)
}

func testCRIStartErrors(t *testing.T, f *criFixture) {
	cri := f.d.For(t).Crictl()
	p := runPod(t, f, harness.PodConfig{Name: "errors", HostNetwork: true})
	for _, c := range []struct {
		name, image, want string
	}{
		{"linux", f.ref(criRepoLinux), "not a Spin application"},
		{"needs-var", f.ref(criRepoNeedsVar), `variable "api_token" is required but has no value`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cri := f.d.For(t).Crictl()
			id := createContainer(t, f, p, harness.ContainerConfig{Name: c.name, Image: c.image})
			out, code := cri.Run("start", id)
			if code == 0 {
				t.Fatalf("crictl start of %s succeeded", c.image)
			}
			// crictl may print the error inside a quoted log field
			// (containerd 1.7), its quotes escaped.
			if !strings.Contains(out, c.want) && !strings.Contains(out, strings.ReplaceAll(c.want, `"`, `\"`)) {
				t.Errorf("crictl start output does not say %q:\n%s", c.want, out)
			}
			if err := waitFor(5*time.Second, func() bool {
				logs, _ := cri.Quiet("logs", id)
				return strings.Contains(logs, c.want)
			}); err != nil {
				logs, _ := cri.Run("logs", id)
				t.Errorf("crictl logs does not say %q:\n%s", c.want, logs)
			}
			cri.Must("rm", id)
			assertNoLeftovers(t, f.d, id)
		})
	}
	// With the variable set, the same image runs.
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	id := startContainer(t, f, p, harness.ContainerConfig{Name: "with-var", Image: f.ref(criRepoNeedsVar),
		Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addr, "SPIN_VARIABLE_API_TOKEN": "t0k3n"}})
	if _, err := harness.WaitHTTP(context.Background(), "http://"+addr+"/", 60*time.Second); err != nil {
		t.Fatal(err)
	}
	cri.Must("stop", "--timeout", "10", id)
	cri.Must("rm", id)
	removePod(t, f, p, id)
}
