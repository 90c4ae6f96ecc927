package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

func testCRIHostNetwork(t *testing.T, f *criFixture) {
	cri := f.d.For(t).Crictl()
	// A systemd-style cgroup parent: CRI then names the container's cgroup
	// "<slice>:cri-containerd:<id>", which the shim maps to a scope.
	slice := "spinocie2e-hostnet" + strings.ReplaceAll(f.version, ".", "") + ".slice"
	p := runPod(t, f, harness.PodConfig{Name: "hostnet", HostNetwork: true, CgroupParent: slice})

	// The sandbox is a real process of the shim's app binary (or the shim
	// binary), in the host's network namespace and in a new IPC namespace.
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.pid))
	if args := strings.Split(string(cmdline), "\x00"); len(args) < 2 || !strings.HasPrefix(filepath.Base(args[0]), harness.ShimBinary) || args[1] != "pause" {
		t.Errorf("sandbox pid %d runs %q, want %s(-app) pause", p.pid, cmdline, harness.ShimBinary)
	}
	self := os.Getpid()
	if nsOf(t, p.pid, "net") != nsOf(t, self, "net") {
		t.Errorf("host-network pause process is not in the host's network namespace")
	}
	if nsOf(t, p.pid, "ipc") == nsOf(t, self, "ipc") {
		t.Errorf("pause process shares the host's IPC namespace, want a pod one")
	}

	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	// A BestEffort container's OOM score, as kubelet sets it.
	const oomScoreAdj = 1000
	id := startContainer(t, f, p, harness.ContainerConfig{
		Name: "app", Image: f.ref(criRepoMultiB), Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addr},
		OOMScoreAdj: oomScoreAdj,
	})
	if _, err := harness.WaitHTTP(context.Background(), "http://"+addr+"/", 60*time.Second); err != nil {
		out, _ := cri.Run("logs", id)
		t.Fatalf("%v\nlogs:\n%s", err, out)
	}
	expect(t, addr, routeChecks()...)

	st, err := cri.Inspect(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status.State != "CONTAINER_RUNNING" {
		t.Errorf("crictl inspect: %s, want CONTAINER_RUNNING", st.Status.State)
	}
	if ps := cri.Must("ps", "--id", id); !strings.Contains(ps, "Running") || !strings.Contains(ps, "app") {
		t.Errorf("crictl ps does not show the app Running:\n%s", ps)
	}
	// The app joined the pod's namespaces.
	for _, ns := range []string{"net", "ipc", "uts"} {
		if nsOf(t, st.Info.Pid, ns) != nsOf(t, p.pid, ns) {
			t.Errorf("app pid %d is not in the pod's %s namespace", st.Info.Pid, ns)
		}
	}
	// ... and the cgroup CRI named, mapped from the slice.
	wantCgroup := fmt.Sprintf("/spinocie2e.slice/%s/cri-containerd-%s.scope", slice, id)
	if cg := cgroupOf(st.Info.Pid); !strings.Contains(cg, wantCgroup) {
		t.Errorf("app cgroups do not include %s:\n%s", wantCgroup, cg)
	}
	// ... and the OOM score adjustment CRI put in the spec.
	if score, _ := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score_adj", st.Info.Pid)); strings.TrimSpace(string(score)) != fmt.Sprint(oomScoreAdj) {
		t.Errorf("app pid %d has oom_score_adj %q, want the spec's %d", st.Info.Pid, score, oomScoreAdj)
	}

	if err := waitFor(10*time.Second, func() bool {
		out, _ := cri.Quiet("logs", id)
		return strings.Contains(out, "spin-go handled") && strings.Contains(out, "/go/hello") && strings.Contains(out, "wagi-go handled")
	}); err != nil {
		out, _ := cri.Run("logs", id)
		t.Errorf("crictl logs lacks the app's stdout and stderr (spin-go handled /go/hello, wagi-go handled):\n%s", out)
	}
	if ws := memoryWorkingSet(t, cri, id); ws < 1<<20 {
		t.Errorf("crictl stats: working set %d bytes, want the app's real memory (> 1 MiB)", ws)
	} else {
		t.Logf("crictl stats: working set %d MiB", ws>>20)
	}

	start := time.Now()
	cri.Must("stop", "--timeout", "10", id)
	took := time.Since(start)
	st, err = cri.Inspect(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("crictl stop took %v: %s exit %d", took.Round(time.Millisecond), st.Status.State, st.Status.ExitCode)
	if st.Status.State != "CONTAINER_EXITED" || st.Status.ExitCode != 0 {
		t.Errorf("after crictl stop: %s exit %d, want CONTAINER_EXITED 0", st.Status.State, st.Status.ExitCode)
	}
	// Well under the 10 s grace period: the app exited on SIGTERM by
	// itself (exit 0), it was not killed when the period ran out. The
	// margin is for a loaded machine.
	if took > 8*time.Second {
		t.Errorf("graceful stop took %v", took)
	}
	cri.Must("rm", id)
	assertNoLeftovers(t, f.d, id)
	removePod(t, f, p)
	assertNoCgroup(t, "/spinocie2e.slice/"+slice, "/spinocie2e.slice")
}

func testCRIBridge(t *testing.T, f *criFixture) {
	cri := f.d.For(t).Crictl()
	p := runPod(t, f, harness.PodConfig{Name: "bridge"})
	st, err := cri.InspectPod(p.id)
	if err != nil {
		t.Fatal(err)
	}
	ip := st.Status.Network.IP
	if !strings.HasPrefix(ip, strings.TrimSuffix(f.net.Gateway, "1")) {
		t.Fatalf("pod IP %q is not in %s", ip, f.net.Subnet)
	}
	self := os.Getpid()
	if nsOf(t, p.pid, "net") == nsOf(t, self, "net") {
		t.Fatalf("the pause process of a CNI pod is in the host's network namespace")
	}

	// Format A, default listen address 0.0.0.0:80 inside the pod.
	id := startContainer(t, f, p, harness.ContainerConfig{Name: "app", Image: f.ref(criRepoMultiA)})
	url := "http://" + ip + ":80"
	if _, err := harness.WaitHTTP(context.Background(), url+"/", 60*time.Second); err != nil {
		out, _ := cri.Run("logs", id)
		t.Fatalf("%v\nlogs:\n%s", err, out)
	}
	expect(t, ip+":80",
		request{path: "/", status: 200, want: helloBody},
		request{path: "/go/bridge", status: 200, want: "spin-go: route=/go path-info=/bridge method=GET\n"},
		request{path: "/wagi/x?a=b", status: 200, prefix: "wagi-go: path-info=/x query=a=b args="},
	)
	cst, err := cri.Inspect(id)
	if err != nil {
		t.Fatal(err)
	}
	if nsOf(t, cst.Info.Pid, "net") != nsOf(t, p.pid, "net") {
		t.Errorf("the app is not in the pod's network namespace")
	}
	// Nothing listens on the host's port 80 on the pod's behalf.
	if _, err := harness.Get(context.Background(), "http://127.0.0.1:80/"); err == nil {
		t.Logf("note: something on the host answers on 127.0.0.1:80 (not the pod)")
	}
	cri.Must("stop", "--timeout", "10", id)
	cri.Must("rm", id)
	removePod(t, f, p, id)
	if out, _ := exec.Command("ip", "-o", "link", "show", "master", f.net.Bridge).CombinedOutput(); strings.TrimSpace(string(out)) != "" {
		t.Errorf("pod interfaces left on %s:\n%s", f.net.Bridge, out)
	}
	if mounts, _ := harness.MountsUnder(f.d.State); len(mounts) > 0 {
		for _, m := range mounts {
			if strings.Contains(m, "netns") {
				t.Errorf("network namespace mount left: %s", m)
			}
		}
	}
}

func testCRITwoContainers(t *testing.T, f *criFixture) {
	cri := f.d.For(t).Crictl()
	p := runPod(t, f, harness.PodConfig{Name: "two", HostNetwork: true})
	addrA := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	addrB := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	// a is a bare Wasm package, b a format B app.
	a := startContainer(t, f, p, harness.ContainerConfig{Name: "a", Image: f.ref(criRepoWasmPkg), Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addrA}})
	b := startContainer(t, f, p, harness.ContainerConfig{Name: "b", Image: f.ref(criRepoMultiB), Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addrB}})
	for _, addr := range []string{addrA, addrB} {
		if _, err := harness.WaitHTTP(context.Background(), "http://"+addr+"/", 60*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// One shim process serves the whole pod.
	if shims := f.d.Procs(); countShimServers(shims) != 1 {
		t.Errorf("want one shim server for the pod, found:\n%v", shims)
	}

	// containerd restarts (as on its upgrade): the pod's containers run on,
	// with the same processes, and what follows manages them after it.
	pids := map[string]int{}
	for _, id := range []string{a, b} {
		st, err := cri.Inspect(id)
		if err != nil {
			t.Fatal(err)
		}
		pids[id] = st.Info.Pid
	}
	f.daemon.Restart(t)
	for _, id := range []string{a, b} {
		if st, err := cri.WaitState(id, "CONTAINER_RUNNING", 30*time.Second); err != nil {
			t.Fatalf("after the restart: %v", err)
		} else if st.Info.Pid != pids[id] {
			t.Errorf("after the restart crictl inspect shows pid %d for %s, want %d", st.Info.Pid, id, pids[id])
		}
	}
	for _, addr := range []string{addrA, addrB} {
		expect(t, addr, request{path: "/", status: 200, want: helloBody})
	}

	cri.Must("stop", "--timeout", "10", a)
	if _, err := harness.Get(context.Background(), "http://"+addrA+"/"); err == nil {
		t.Errorf("container a still answers after crictl stop")
	}
	expect(t, addrB, request{path: "/go/still", status: 200, want: "spin-go: route=/go path-info=/still method=GET\n"})
	cri.Must("rm", a)
	assertNoLeftovers(t, f.d, a)
	expect(t, addrB, request{path: "/", status: 200, want: helloBody})

	// A restart, as kubelet does it: a new container with the next attempt.
	a2 := startContainer(t, f, p, harness.ContainerConfig{Name: "a", Attempt: 1, Image: f.ref(criRepoHello), Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addrA}})
	if _, err := harness.WaitHTTP(context.Background(), "http://"+addrA+"/", 60*time.Second); err != nil {
		t.Fatalf("restarted container: %v", err)
	}
	expect(t, addrA, request{path: "/", status: 200, want: helloBody})
	expect(t, addrB, request{path: "/", status: 200, want: helloBody})

	// Stopping the pod stops both.
	cri.Must("stopp", p.id)
	for _, id := range []string{a2, b} {
		if st, err := cri.WaitState(id, "CONTAINER_EXITED", 15*time.Second); err != nil {
			t.Errorf("after stopp: %v", err)
		} else {
			t.Logf("%s: exit %d", id, st.Status.ExitCode)
		}
	}
	cri.Must("rm", a2, b)
	removePod(t, f, p, a2, b)
}

func countShimServers(procs []harness.Proc) int {
	n := 0
	for _, p := range procs {
		if len(p.Cmdline) > 1 && filepath.Base(p.Cmdline[0]) == harness.ServerBinary && p.Cmdline[1] == "-namespace" {
			n++
		}
	}
	return n
}
