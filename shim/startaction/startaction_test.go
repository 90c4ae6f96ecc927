package startaction

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	bootapi "github.com/containerd/containerd/api/runtime/bootstrap/v1"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/shim"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"google.golang.org/protobuf/proto"

	"github.com/spinoci/spinoci/shim/rendezvous"
	"github.com/spinoci/spinoci/shim/seccompbpf"
	"github.com/spinoci/spinoci/shim/seccompbpf/compiler"
)

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBootstrapParamsFromNewDaemon(t *testing.T) {
	for _, level := range []bootapi.LogLevel{bootapi.LogLevel_LOG_LEVEL_INFO, bootapi.LogLevel_LOG_LEVEL_TRACE, bootapi.LogLevel_LOG_LEVEL_WARN} {
		sent := &bootapi.BootstrapParams{
			InstanceID:             "c1",
			Namespace:              "default",
			ContainerdGrpcAddress:  "/run/x.sock",
			ContainerdTtrpcAddress: "/run/x.sock.ttrpc",
			ContainerdVersion:      "2.4.2",
			ContainerdBinary:       "/usr/bin/containerd",
			SocketDir:              proto.String("/tmp/s"),
			LogLevel:               level,
		}
		got, fromDaemon := bootstrapParams(mustMarshal(t, sent), "default", "c1", "/ignored", false)
		want := params{instanceID: "c1", namespace: "default", grpcAddress: "/run/x.sock", ttrpcAddress: "/run/x.sock.ttrpc",
			socketDir: "/tmp/s", logLevel: int32(level)}
		if !fromDaemon || got != want {
			t.Errorf("decoded %+v (from the daemon: %v), want %+v", got, fromDaemon, want)
		}
	}
}

func TestDebugFlagRaisesTheLogLevel(t *testing.T) {
	sent := &bootapi.BootstrapParams{InstanceID: "c1", Namespace: "default", LogLevel: bootapi.LogLevel_LOG_LEVEL_INFO}
	got, _ := bootstrapParams(mustMarshal(t, sent), "default", "c1", "", true)
	if got.logLevel != logLevelDebug {
		t.Errorf("-debug left the log level at %d", got.logLevel)
	}
	sent.LogLevel = bootapi.LogLevel_LOG_LEVEL_TRACE
	if got, _ := bootstrapParams(mustMarshal(t, sent), "default", "c1", "", true); got.logLevel != int32(bootapi.LogLevel_LOG_LEVEL_TRACE) {
		t.Errorf("-debug lowered trace to %d", got.logLevel)
	}
}

func TestBootstrapParamsFromLegacyDaemon(t *testing.T) {
	t.Setenv("TTRPC_ADDRESS", "/run/legacy.sock.ttrpc")
	for name, input := range map[string][]byte{
		"empty stdin":         nil,
		"runtime options":     []byte("\x1a\x16SystemdCgroup = false\n"),
		"other task's params": mustMarshal(t, &bootapi.BootstrapParams{InstanceID: "other", Namespace: "default"}),
		"truncated":           mustMarshal(t, &bootapi.BootstrapParams{InstanceID: "c1", Namespace: "default"})[:5],
	} {
		t.Run(name, func(t *testing.T) {
			got, fromDaemon := bootstrapParams(input, "default", "c1", "/run/legacy.sock", false)
			want := params{instanceID: "c1", namespace: "default", grpcAddress: "/run/legacy.sock", ttrpcAddress: "/run/legacy.sock.ttrpc"}
			if fromDaemon || got != want {
				t.Errorf("got %+v (from the daemon: %v), want legacy %+v", got, fromDaemon, want)
			}
		})
	}
}

// TestSocketAddressIsContainerds: containerd's shim library computes the
// same address, which other tools (and older spinoci servers) rely on.
func TestSocketAddressIsContainerds(t *testing.T) {
	ctx := namespaces.WithNamespace(t.Context(), "k8s.io")
	for _, group := range []string{"c1", "pod-0123456789abcdef"} {
		want, err := shim.CreateSocketAddress(ctx, "/run/containerd/s", "/run/containerd/containerd.sock", group, false)
		if err != nil {
			t.Fatal(err)
		}
		got, err := socketAddress("", "/run/containerd/containerd.sock", "k8s.io", group)
		if err != nil || got != want {
			t.Errorf("socket address %q, %v; containerd's %q", got, err, want)
		}
	}
	if _, err := socketAddress("", "/run/c.sock", "", "c1"); err == nil {
		t.Error("an address without a namespace")
	}
}

func TestGroupingKey(t *testing.T) {
	for _, tc := range []struct {
		name        string
		annotations map[string]string
		want        string
	}{
		{"ungrouped container", nil, "c1"},
		{"CRI container", map[string]string{"io.kubernetes.cri.sandbox-id": "pod1"}, "pod1"},
		{"group annotation", map[string]string{"io.containerd.spinoci.v1.group": "web"}, "web"},
		{"empty group annotation", map[string]string{"io.containerd.spinoci.v1.group": ""}, "c1"},
		{"CRI pod with a group annotation", map[string]string{"io.kubernetes.cri.sandbox-id": "pod1", "io.containerd.spinoci.v1.group": "node"}, "node"},
		{"CRI pod with an empty group annotation", map[string]string{"io.kubernetes.cri.sandbox-id": "pod1", "io.containerd.spinoci.v1.group": ""}, "pod1"},
	} {
		if got := groupingKey(tc.annotations, "c1"); got != tc.want {
			t.Errorf("%s: grouping key %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestIsStartAction(t *testing.T) {
	if !IsStartAction([]string{"shim", "-namespace", "n", "-id", "x", "start"}) {
		t.Error("start not recognised")
	}
	if IsStartAction([]string{"shim", "-namespace", "n", "-id", "x", "delete"}) || IsStartAction([]string{"shim"}) {
		t.Error("non-start recognised as start")
	}
}

// bundle makes a bundle directory with a config.json holding annotations
// and makes it the working directory.
func bundle(t *testing.T, annotations map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	spec, err := json.Marshal(map[string]any{"ociVersion": "1.1.0", "annotations": annotations})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), spec, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	return dir
}

func TestStartNamesABadSpec(t *testing.T) {
	dir := bundle(t, nil)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := start(params{instanceID: "c1", namespace: "default"}, RuntimeOptions{}, "/nonexistent", newFakeApps(t).source)
	if err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("start with a bad config.json: %v", err)
	}
}

// failingServer is a server binary that fails if started.
func failingServer(t *testing.T) string {
	t.Helper()
	server := filepath.Join(t.TempDir(), "shim-server")
	if err := os.WriteFile(server, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return server
}

// TestStartJoinsARunningServer: a container of a group whose server
// accepts connections gets its address, and no server is started.
func TestStartJoinsARunningServer(t *testing.T) {
	annotations := map[string]string{"io.containerd.spinoci.v1.group": "web"}
	bundle(t, annotations)
	server := failingServer(t)
	p := params{instanceID: "c2", namespace: "default", grpcAddress: "/run/c.sock", socketDir: shortTempDir(t)}
	key, err := serverKey(annotations, p.instanceID, server)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := socketAddress(p.socketDir, p.grpcAddress, p.namespace, key)
	if err != nil {
		t.Fatal(err)
	}
	path, _ := rendezvous.Path(addr)
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	apps := newFakeApps(t)
	got, err := start(p, RuntimeOptions{}, server, apps.source)
	if err != nil || got != addr {
		t.Errorf("joining: %q, %v; want %q", got, err, addr)
	}
	if read := apps.materialised(); len(read) != 0 {
		t.Errorf("joining a running server read apps %v", read)
	}
}

// TestStartTakesTheGroupOfTheRuntimeOptions: a container without a group
// annotation goes to the server of the runtime options' group; one with
// its own group annotation to its own group's.
func TestStartTakesTheGroupOfTheRuntimeOptions(t *testing.T) {
	server := failingServer(t)
	p := params{instanceID: "c3", namespace: "default", grpcAddress: "/run/c.sock", socketDir: shortTempDir(t)}
	groupAddress := func(group string) string {
		key, err := serverKey(map[string]string{GroupAnnotation: group}, p.instanceID, server)
		if err != nil {
			t.Fatal(err)
		}
		addr, err := socketAddress(p.socketDir, p.grpcAddress, p.namespace, key)
		if err != nil {
			t.Fatal(err)
		}
		return addr
	}
	web := groupAddress("web")
	path, _ := rendezvous.Path(web)
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	bundle(t, nil)
	if got, err := start(p, RuntimeOptions{Group: "web"}, server, newFakeApps(t).source); err != nil || got != web {
		t.Errorf("no annotation, options' group web: %q, %v; want %q", got, err, web)
	}
	bundle(t, map[string]string{GroupAnnotation: "api"})
	if got, err := start(p, RuntimeOptions{Group: "web"}, server, newFakeApps(t).source); err != nil || got != groupAddress("api") {
		t.Errorf("annotated group api, options' group web: %q, %v; want api's %q", got, err, groupAddress("api"))
	}
}

// TestStartOutlivesAServerThatExitsAtOnce: the start action sets the OOM
// score of a server that exits at once (a crash containerd reports when
// it connects) and still returns its address; it never reaps the server
// before that, which would fail the start with a missing /proc entry.
func TestStartOutlivesAServerThatExitsAtOnce(t *testing.T) {
	bundle(t, nil)
	server := failingServer(t)
	apps := newFakeApps(t)
	for i := range 100 {
		p := params{instanceID: "c" + strconv.Itoa(i), namespace: "default", grpcAddress: "/run/c.sock", socketDir: shortTempDir(t)}
		if _, err := start(p, RuntimeOptions{}, server, apps.source); err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
	}
}

// TestServerKeyOfAGroupFollowsTheServerBinary: a group's containers go to
// a server of the installed server binary: the same file gives the same
// key, a file installed anew (or rewritten) another; a pod's or a lone
// container's key does not depend on the binary; a group whose server
// binary is missing is an error naming it.
func TestServerKeyOfAGroupFollowsTheServerBinary(t *testing.T) {
	group := map[string]string{"io.containerd.spinoci.v1.group": "web"}
	pod := map[string]string{"io.kubernetes.cri.sandbox-id": "pod1"}
	server := failingServer(t)
	key := func(annotations map[string]string) string {
		t.Helper()
		k, err := serverKey(annotations, "c1", server)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	first, podKey, lone := key(group), key(pod), key(nil)
	if again := key(group); again != first {
		t.Errorf("the same server binary gave keys %q and %q", first, again)
	}
	if !strings.HasPrefix(first, "web@") || podKey != "pod1" || lone != "c1" {
		t.Errorf("keys: group %q, pod %q, lone container %q; want web@<binary>, pod1, c1", first, podKey, lone)
	}

	// An install: a new file renamed over the old one.
	data, err := os.ReadFile(server)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(server+".new", data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(server+".new", server); err != nil {
		t.Fatal(err)
	}
	if installed := key(group); installed == first {
		t.Errorf("a server binary installed anew kept the group's key %q", first)
	}
	if key(pod) != podKey || key(nil) != lone {
		t.Errorf("a pod's or a lone container's key changed with the server binary")
	}

	if _, err := serverKey(group, "c1", "/nonexistent/server"); err == nil || !strings.Contains(err.Error(), "/nonexistent/server") {
		t.Errorf("a group with a missing server binary: %v, want an error naming it", err)
	}
}

// TestStartReplacesAStaleSocket: a socket no server accepts on is removed
// and the server is started on a new one; when the server cannot be
// started, the new socket is removed again and the error names the binary.
func TestStartReplacesAStaleSocket(t *testing.T) {
	bundle(t, nil)
	p := params{instanceID: "c1", namespace: "default", grpcAddress: "/run/c.sock", socketDir: shortTempDir(t)}
	addr, _ := socketAddress(p.socketDir, p.grpcAddress, p.namespace, "c1")
	path, _ := rendezvous.Path(addr)
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	_, err = start(p, RuntimeOptions{}, "/nonexistent/server", newFakeApps(t).source)
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/server") {
		t.Errorf("start with a missing server binary: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the socket is left behind: %v", err)
	}
}

// TestRunStartsTheServer runs the start action with a server binary that
// records how it was started, and checks the reply and the server's
// command line, environment (the socket's address, containerd's ttrpc
// address), working directory, socket (fd 3) and OOM score
// adjustment.
func TestRunStartsTheServer(t *testing.T) {
	dir := bundle(t, nil)
	record := filepath.Join(t.TempDir(), "server.txt")
	server := filepath.Join(t.TempDir(), "shim-server")
	script := "#!/bin/sh\n{ echo \"$@\"; pwd; echo \"$" + rendezvous.AddressEnv + "\"; echo \"$TTRPC_ADDRESS\"; " +
		"readlink /proc/self/fd/3; cat /proc/self/oom_score_adj; echo \"$GOMAXPROCS\"; } > " + record + ".tmp && mv " + record + ".tmp " + record + "\n"
	if err := os.WriteFile(server, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	socketDir := shortTempDir(t)
	sent := mustMarshal(t, &bootapi.BootstrapParams{InstanceID: "c1", Namespace: "default", ContainerdGrpcAddress: "/run/c.sock",
		ContainerdTtrpcAddress: "/run/c.sock.ttrpc", SocketDir: proto.String(socketDir), LogLevel: bootapi.LogLevel_LOG_LEVEL_DEBUG})
	var out bytes.Buffer
	args := []string{"shim", "-namespace", "default", "-id", "c1", "-address", "/run/c.sock", "start"}
	apps := newFakeApps(t)
	if err := run(args, bytes.NewReader(sent), &out, server, apps.source); err != nil {
		t.Fatal(err)
	}
	var reply struct {
		Version  int    `json:"version"`
		Address  string `json:"address"`
		Protocol string `json:"protocol"`
	}
	if err := json.Unmarshal(out.Bytes(), &reply); err != nil {
		t.Fatalf("reply %q: %v", out.String(), err)
	}
	wantAddr, _ := socketAddress(socketDir, "/run/c.sock", "default", "c1")
	if reply.Version != taskAPIVersion || reply.Address != wantAddr || reply.Protocol != "ttrpc" {
		t.Errorf("reply %+v, want v%d at %s over ttrpc", reply, taskAPIVersion, wantAddr)
	}
	// containerd 1.7 reconnects after a restart from the bundle's copy.
	if saved, err := os.ReadFile(filepath.Join(dir, "address")); err != nil || !bytes.Equal(saved, out.Bytes()) {
		t.Errorf("the bundle's address file holds %q (%v), want the reply %q", saved, err, out.Bytes())
	}
	got := waitForFile(t, record)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 7 {
		t.Fatalf("server record %q", got)
	}
	if lines[6] != serverMaxProcs {
		t.Errorf("the server runs with GOMAXPROCS %q, want %s", lines[6], serverMaxProcs)
	}
	if read := apps.materialised(); len(read) != 1 || read[0] != "default/c1" {
		t.Errorf("the start action read apps %v, want default/c1's", read)
	}
	path, _ := rendezvous.Path(wantAddr)
	for i, want := range []string{"-namespace default -id c1 -address /run/c.sock -debug", dir, wantAddr, "/run/c.sock.ttrpc"} {
		if lines[i] != want {
			t.Errorf("server record line %d: %q, want %q", i, lines[i], want)
		}
	}
	if !strings.HasPrefix(lines[4], "socket:") {
		t.Errorf("the server's fd 3 is %q, want the socket at %s", lines[4], path)
	}
	// The test process is the start action; its parent stands in for
	// containerd.
	data, err := os.ReadFile("/proc/" + strconv.Itoa(os.Getppid()) + "/oom_score_adj")
	if err != nil {
		t.Fatal(err)
	}
	parent, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(min(parent+1, oomScoreAdjMax)); os.Geteuid() == 0 && lines[5] != want {
		t.Errorf("server OOM score adjustment %s, want %s (containerd's + 1)", lines[5], want)
	}
}

// shortTempDir is a temporary directory with a path short enough for unix
// socket addresses under it.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sa")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// waitForFile returns the content of path once it exists.
func waitForFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil {
			return string(data)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not written: %v", path, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStartCompilesTheSeccompProfile: the start action leaves the compiled
// filter of the spec's seccomp profile in the bundle, where the server reads
// it (written before the start action looks for a server, so for joining
// containers too); a profile that
// does not compile fails the start, naming it, before any server starts.
func TestStartCompilesTheSeccompProfile(t *testing.T) {
	writeSpec := func(t *testing.T, seccomp *specs.LinuxSeccomp) string {
		t.Helper()
		dir := bundle(t, nil)
		data, err := json.Marshal(&specs.Spec{Version: "1.1.0", Linux: &specs.Linux{Seccomp: seccomp}})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	profile := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"read", "write"}, Action: specs.ActAllow}}}
	want, err := compiler.Compile(profile)
	if err != nil {
		t.Fatal(err)
	}
	dir := writeSpec(t, profile)
	p := params{instanceID: "c1", namespace: "default", grpcAddress: "/run/c.sock", socketDir: shortTempDir(t)}
	if _, err := start(p, RuntimeOptions{}, failingServer(t), newFakeApps(t).source); err != nil {
		t.Fatal(err)
	}
	if got, err := seccompbpf.ReadFilter(dir); err != nil || !slices.Equal(got, want) {
		t.Errorf("the bundle's filter: %d instructions (%v), want the profile's %d", len(got), err, len(want))
	}

	writeSpec(t, &specs.LinuxSeccomp{DefaultAction: specs.ActNotify})
	p.instanceID, p.socketDir = "c2", shortTempDir(t)
	server := filepath.Join(t.TempDir(), "never-started")
	_, err = start(p, RuntimeOptions{}, server, newFakeApps(t).source)
	if err == nil || !strings.Contains(err.Error(), "seccomp profile") {
		t.Errorf("a profile that does not compile: %v, want an error naming the seccomp profile", err)
	}
}
