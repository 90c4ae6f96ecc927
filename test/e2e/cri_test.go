package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// Repositories pushed for the CRI tests.
const (
	criRepoMultiB   = "cri/multi-b:v1"
	criRepoMultiA   = "cri/multi-a:v1" // format A: runs through CRI, not ctr run
	criRepoHello    = "cri/hello:v1"
	criRepoResource = "cri/resource:v1"
	criRepoLinux    = "cri/linux:v1"
	criRepoNeedsVar = "cri/needs-var:v1"
	criRepoSandbox  = "cri/pause:3.10"
	criRepoWasmPkg  = "cri/wasm-package:v1" // a bare Wasm package (one application/wasm layer)
)

// criFixture is one daemon with CRI enabled and every image pulled into
// CRI's namespace.
type criFixture struct {
	version string
	reg     *harness.Registry
	d       *harness.Containerd // a view in harness.CRINamespace
	// daemon is the daemon itself, which Restart needs (a view's process
	// would go stale).
	daemon *harness.Containerd
	net    harness.BridgeNetwork
	dir    string // pod and container configs, pod logs
	// ids are the pods and containers made, whose cgroups must be gone at
	// the end (see assertNoPodCgroups).
	ids []string
}

func (f *criFixture) ref(repo string) string { return harness.Ref(f.reg.Host, repo) }

// TestCRI runs Spin pods through containerd's CRI plugin, driven by
// crictl as kubelet would, against each pinned containerd version.
func TestCRI(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	missing := func(format string, args ...any) {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	if _, err := os.Stat(paths.Crictl()); err != nil {
		missing("crictl missing (%v): run `make tools`", err)
	}
	for _, plugin := range []string{"bridge", "host-local", "loopback"} {
		if _, err := os.Stat(filepath.Join(harness.CNIPluginDir, plugin)); err != nil {
			missing("CNI plugin %s missing (%v): apt-get install containernetworking-plugins", plugin, err)
		}
	}
	for i, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			f := setupCRI(t, paths, v, i)
			t.Run("host-network pod: serve, ps, logs, stats, stop, rm, stopp, rmp", func(t *testing.T) { testCRIHostNetwork(t, f) })
			t.Run("CNI bridge pod: format A app on the pod IP", func(t *testing.T) { testCRIBridge(t, f) })
			t.Run("two containers in a pod: outlive a containerd restart; stop one, the other serves, restart it", func(t *testing.T) { testCRITwoContainers(t, f) })
			t.Run("pods of one group share a shim server, also across a containerd restart", func(t *testing.T) { testCRIPodsShareServer(t, f) })
			t.Run("pods of a runtime handler whose options name a group share a shim server", func(t *testing.T) { testCRIRuntimeOptionsGroup(t, f) })
			t.Run("memory limit: OOM kill reported, exit 137", func(t *testing.T) { testCRIMemoryLimit(t, f) })
			t.Run("stop with grace period: in-flight request answered; SIGKILL after the grace period", func(t *testing.T) { testCRIGracefulStop(t, f) })
			t.Run("start-up errors reach crictl logs", func(t *testing.T) { testCRIStartErrors(t, f) })
		})
	}
}

// setupCRI starts a registry and a CRI-enabled daemon with a CNI bridge
// network (subnet 198.18.<index+40>.0/24), pushes the test images and
// pulls them into CRI's namespace.
func setupCRI(t *testing.T, paths harness.Paths, version string, index int) *criFixture {
	t.Helper()
	octet := 40 + index
	f := &criFixture{version: version, reg: harness.StartRegistry(t), dir: harness.TempDir(t, "scri")}
	f.net = harness.BridgeNetwork{
		Name:    fmt.Sprintf("spinoci-e2e-%d", octet),
		Bridge:  fmt.Sprintf("scbr%d", octet),
		Subnet:  fmt.Sprintf("198.18.%d.0/24", octet),
		Gateway: fmt.Sprintf("198.18.%d.1", octet),
		DataDir: filepath.Join(f.dir, "ipam"),
	}
	confDir := filepath.Join(f.dir, "cni")
	if err := f.net.WriteConf(confDir); err != nil {
		t.Fatal(err)
	}
	f.net.CreateBridge(t)
	// Runs after the daemon has stopped.
	t.Cleanup(func() { assertNoPodCgroups(t, f) })
	d := harness.StartContainerdWith(t, version, harness.ContainerdOptions{CRI: &harness.CRIOptions{
		SandboxImage: f.ref(criRepoSandbox),
		CNIConfDir:   confDir,
	}})
	f.d, f.daemon = d.InNamespace(harness.CRINamespace), d

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	push := func(repo string, spec harness.AppSpec, format artifact.Layout) {
		app, err := paths.LocalLock(spec)
		if err != nil {
			t.Fatalf("local lock: %v", err)
		}
		if _, err := harness.Push(ctx, f.reg.Host, repo, app, artifact.PackOptions{Format: format}); err != nil {
			t.Fatalf("push %s: %v", repo, err)
		}
	}
	push(criRepoMultiB, harness.MultiApp(""), artifact.LayoutB)
	push(criRepoMultiA, harness.MultiApp(""), artifact.LayoutA)
	push(criRepoHello, harness.HelloApp(), artifact.LayoutB)
	push(criRepoResource, harness.AppSpec{
		Name:       "resource",
		Components: []harness.AppComponent{{ID: "resource", Wasm: harness.AppResourceGo, Executor: "wagi"}},
		Routes:     []harness.Route{{Route: "/...", Component: "resource"}},
	}, artifact.LayoutB)
	if _, err := harness.PushLinuxImage(ctx, f.reg.Host, criRepoLinux,
		[]harness.TarFile{{Name: "bin/hello", Mode: 0o755, Data: []byte("#!/bin/sh\necho hello\n")}}, []string{"/bin/hello"}); err != nil {
		t.Fatalf("push linux image: %v", err)
	}
	// The sandbox image: two blobs that are never run (the shim starts its
	// own pause process).
	if _, err := harness.PushLinuxImage(ctx, f.reg.Host, criRepoSandbox,
		[]harness.TarFile{{Name: "pause", Mode: 0o755, Data: []byte("#!/bin/sh\nexit 1\n")}}, []string{"/pause"}); err != nil {
		t.Fatalf("push sandbox image: %v", err)
	}
	// An app with a required variable and no value for it.
	hello, err := paths.ReadApp(harness.AppHello)
	if err != nil {
		t.Fatal(err)
	}
	wasm := harness.WasmLayer(hello)
	var lk map[string]any
	if err := json.Unmarshal(harness.SingleComponentLock(wasm.Desc().Digest, "spin", nil).JSON(), &lk); err != nil {
		t.Fatal(err)
	}
	lk["variables"] = map[string]any{"api_token": map[string]any{"secret": true}}
	lockJSON, err := json.Marshal(lk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := harness.PushSpinB(ctx, f.reg.Host, criRepoNeedsVar, lockJSON, []harness.Blob{wasm}); err != nil {
		t.Fatalf("push %s: %v", criRepoNeedsVar, err)
	}
	if _, err := harness.PushManifest(ctx, f.reg.Host, criRepoWasmPkg,
		harness.Blob{MediaType: artifact.MediaTypeWasmConfig, Data: []byte(`{"architecture":"wasm","os":"wasip1","layerDigests":["` + wasm.Desc().Digest.String() + `"]}`)},
		[]harness.Blob{{MediaType: artifact.MediaTypeWasm, Data: hello}}); err != nil {
		t.Fatalf("push %s: %v", criRepoWasmPkg, err)
	}
	pullForCRI(t, f, criRepoSandbox, criRepoMultiB, criRepoMultiA, criRepoHello, criRepoResource, criRepoLinux, criRepoNeedsVar, criRepoWasmPkg)
	return f
}

// pod is a pod sandbox made with crictl runp.
type pod struct {
	id     string
	config string // pod.json
	logDir string
	pid    int // the pause process
}

// runPod runs `crictl runp --runtime spinoci` and registers a cleanup that
// removes the pod if the test did not.
func runPod(t *testing.T, f *criFixture, cfg harness.PodConfig) *pod {
	t.Helper()
	cri := f.d.For(t).Crictl()
	cfg.LogDir = filepath.Join(f.dir, "logs", cfg.Name)
	if cfg.UID == "" {
		cfg.UID = "uid-" + cfg.Name
	}
	if err := os.MkdirAll(cfg.LogDir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &pod{config: cfg.WriteFile(t, f.dir), logDir: cfg.LogDir}
	handler := cfg.Handler
	if handler == "" {
		handler = harness.RuntimeHandler
	}
	p.id = cri.Must("runp", "--runtime", handler, p.config)
	f.ids = append(f.ids, p.id)
	t.Cleanup(func() {
		if _, code := cri.Quiet("inspectp", p.id); code == 0 {
			cri.Run("stopp", p.id)
			cri.Run("rmp", "-f", p.id)
		}
	})
	st, err := cri.InspectPod(p.id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status.State != "SANDBOX_READY" {
		t.Fatalf("pod %s is %s, want SANDBOX_READY", p.id, st.Status.State)
	}
	p.pid = st.Info.Pid
	return p
}

// startContainer creates and starts a container in p and returns its id.
func startContainer(t *testing.T, f *criFixture, p *pod, cfg harness.ContainerConfig) string {
	t.Helper()
	id := createContainer(t, f, p, cfg)
	f.d.For(t).Crictl().Must("start", id)
	return id
}

func createContainer(t *testing.T, f *criFixture, p *pod, cfg harness.ContainerConfig) string {
	t.Helper()
	if cfg.LogPath == "" {
		cfg.LogPath = fmt.Sprintf("%s-%d.log", cfg.Name, cfg.Attempt)
	}
	id := f.d.For(t).Crictl().Must("create", p.id, cfg.WriteFile(t, f.dir), p.config)
	f.ids = append(f.ids, id)
	return id
}

// removePod stops and removes p and checks that nothing of it is left: no
// pause process, no task, no bundle, no app directory, no cgroup.
func removePod(t *testing.T, f *criFixture, p *pod, containers ...string) {
	t.Helper()
	cri := f.d.For(t).Crictl()
	cri.Must("stopp", p.id)
	cri.Must("rmp", p.id)
	if err := waitFor(5*time.Second, func() bool { return !harness.ProcessAlive(p.pid) }); err != nil {
		t.Errorf("pause process %d still alive after rmp", p.pid)
	}
	for _, id := range append([]string{p.id}, containers...) {
		assertNoLeftovers(t, f.d, id)
	}
	// The pod's shim server removed its socket when it shut down (the
	// tests run one pod at a time).
	if err := waitFor(5*time.Second, func() bool {
		entries, _ := os.ReadDir(f.d.SocketDir)
		return len(entries) == 0
	}); err != nil {
		entries, _ := os.ReadDir(f.d.SocketDir)
		t.Errorf("shim sockets left in %s after rmp: %v", f.d.SocketDir, entries)
	}
}

// nsOf returns the namespace identity (e.g. "net:[4026531840]") of pid.
func nsOf(t *testing.T, pid int, ns string) string {
	t.Helper()
	link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
	if err != nil {
		t.Fatalf("namespace %s of pid %d: %v", ns, pid, err)
	}
	return link
}

// cgroupOf returns /proc/<pid>/cgroup.
func cgroupOf(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	return string(b)
}

// memoryWorkingSet reads `crictl stats` for a container.
func memoryWorkingSet(t *testing.T, cri *harness.Crictl, id string) uint64 {
	t.Helper()
	var stats struct {
		Stats []struct {
			Memory struct {
				WorkingSetBytes struct {
					Value json.Number `json:"value"`
				} `json:"workingSetBytes"`
			} `json:"memory"`
		} `json:"stats"`
	}
	if err := cri.JSON(&stats, "stats", "-o", "json", "--id", id); err != nil {
		t.Fatalf("crictl stats: %v", err)
	}
	if len(stats.Stats) != 1 {
		t.Fatalf("crictl stats --id %s: %d entries", id, len(stats.Stats))
	}
	v, _ := strconv.ParseUint(stats.Stats[0].Memory.WorkingSetBytes.Value.String(), 10, 64)
	return v
}
