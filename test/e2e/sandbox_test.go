package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/engine"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// ctrDefaultCaps is containerd's default capability set (what `ctr run`
// puts in the spec): CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW,
// SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL,
// AUDIT_WRITE.
const ctrDefaultCaps = 1<<0 | 1<<1 | 1<<4 | 1<<3 | 1<<27 | 1<<13 | 1<<6 | 1<<7 | 1<<31 | 1<<8 | 1<<10 | 1<<18 | 1<<5 | 1<<29

// TestSandboxCtr: `ctr run --seccomp --user 1000:1000` runs the app as a
// confined process, as runc sets up a container from that spec: user and
// group 1000, exactly ctr's capability sets (bounding, effective and
// permitted; kept across the user change), no_new_privs, a seccomp filter,
// RLIMIT_NOFILE 1024, and its own mount namespace whose root holds only the
// app's files. The app still serves, keeps its key-value state in /.spin
// and exits 0 on SIGTERM. As root (no --user) it has ctr's capabilities.
func TestSandboxCtr(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	for _, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			f := setupSpin1(t, paths, v)
			d := f.d.For(t)
			id := "sandboxed"
			stateDir := harness.TempDir(t, "kv")
			// A volume is the user's to make writable (fsGroup in
			// Kubernetes); the shim only hands over directories it made.
			if err := os.Chown(stateDir, 1000, 1000); err != nil {
				t.Fatal(err)
			}
			addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
			logPath := filepath.Join(t.TempDir(), "app.log")
			t.Cleanup(func() { cleanupContainer(t, d, id) })
			env := []string{"SPIN_VARIABLE_API_KEY=s3cret", "WHO=world"}

			runSpin1With(t, d, []string{"--seccomp", "--user", "1000:1000"}, f.ref(repoSpin1), id, addr, stateDir, logPath, env...)
			pid := taskPid(t, d, id)
			status := procStatus(t, pid)
			for field, want := range map[string]string{
				"Uid": "1000\t1000\t1000\t1000", "Gid": "1000\t1000\t1000\t1000", "Groups": "1000", // containerd lists the gid as additional
				"CapBnd": capHex(ctrDefaultCaps), "CapEff": capHex(ctrDefaultCaps), "CapPrm": capHex(ctrDefaultCaps),
				"CapInh": capHex(0), "CapAmb": capHex(0),
				"NoNewPrivs": "1", "Seccomp": "2",
			} {
				if got := status[field]; got != want {
					t.Errorf("/proc/%d/status %s: %q, want %q", pid, field, got, want)
				}
			}
			assertSandboxedFiles(t, pid, d.AppDir(id))
			assertListenBacklog(t, addr)
			check(t, addr,
				exchange{path: "/", status: 200, want: helloBody},
				exchange{path: "/host/kv/incr/visits", status: 200, want: "1\n"},
				exchange{path: "/host/kv/incr/visits", status: 200, want: "2\n"},
				exchange{path: "/host/file/static.txt", status: 200, want: strings.Repeat("static content\n", 20)},
				exchange{method: "POST", path: "/wagi/run?a=1", send: "wagi-body", status: 200,
					want: "wagi-go: path-info=/run query=a=1 args=/wagi/run a=1\nwagi-body"},
				exchange{path: "/host/config/greeting", status: 200, want: "Hello, world!"},
			)
			if _, err := os.Stat(filepath.Join(stateDir, engine.KVFileName)); err != nil {
				t.Errorf("the key-value store is not in the directory mounted at /.spin: %v", err)
			}
			waitResetFitted(t, addr, logPath)
			stopSpin1(t, d, id)

			// As root: ctr's capabilities, effective; the same state.
			runSpin1With(t, d, []string{"--seccomp"}, f.ref(repoSpin1), id, addr, stateDir, logPath, env...)
			pid = taskPid(t, d, id)
			status = procStatus(t, pid)
			for field, want := range map[string]string{
				"Uid": "0\t0\t0\t0", "CapBnd": capHex(ctrDefaultCaps), "CapEff": capHex(ctrDefaultCaps),
				"CapPrm": capHex(ctrDefaultCaps), "NoNewPrivs": "1", "Seccomp": "2",
			} {
				if got := status[field]; got != want {
					t.Errorf("as root: /proc/%d/status %s: %q, want %q", pid, field, got, want)
				}
			}
			check(t, addr, exchange{path: "/host/kv/incr/visits", status: 200, want: "3\n"})
			stopSpin1(t, d, id)
		})
	}
}

// waitResetFitted sends the app at addr requests until its log says that
// its modules' instance pool was fitted to the pages their instances
// touched (after some hundred calls on their optimised code): the app
// process read its own page map in its sandbox.
func waitResetFitted(t *testing.T, addr, logPath string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		out, _ := os.ReadFile(logPath)
		if strings.Contains(string(out), "instance pool now resets only the start of each memory") {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("the app's modules' memory reset was not fitted within 90 s; log:\n%s", out)
			return
		}
		for range 50 {
			if resp, err := harness.Get(t.Context(), "http://"+addr+"/"); err != nil || resp.Status != 200 {
				t.Fatalf("a request for the fit: %v %+v", err, resp)
			}
		}
	}
}

// assertSandboxedFiles checks that pid has a mount namespace of its own and
// that its root holds its app (read-only), a minimal /dev and its own page
// map, not the host's files; its open-file limit is the spec's.
func assertSandboxedFiles(t *testing.T, pid int, appDir string) {
	t.Helper()
	if nsOf(t, pid, "mnt") == nsOf(t, os.Getpid(), "mnt") {
		t.Errorf("the app is in the host's mount namespace")
	}
	root := fmt.Sprintf("/proc/%d/root", pid)
	for _, path := range []string{"/dev/null", "/dev/urandom", "/proc/self/pagemap", filepath.Join(appDir, "spin.lock")} {
		if _, err := os.Stat(root + path); err != nil {
			t.Errorf("the app's root lacks %s: %v", path, err)
		}
	}
	for _, path := range []string{"/usr", "/bin", "/etc/passwd", "/proc/1", "/dev/sda", "/var/run"} {
		if _, err := os.Stat(root + path); err == nil {
			t.Errorf("the app's root has %s", path)
		}
	}
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(limits), "\n") {
		if strings.HasPrefix(line, "Max open files") {
			if f := strings.Fields(line); len(f) < 5 || f[3] != "1024" || f[4] != "1024" {
				t.Errorf("/proc/%d/limits: %q, want 1024 1024 (the spec's RLIMIT_NOFILE)", pid, line)
			}
		}
	}
}

// procStatus reads /proc/<pid>/status as field → value.
func procStatus(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	return fields
}

func capHex(mask uint64) string { return fmt.Sprintf("%016x", mask) }

// TestSandboxCRI: a pod's pause process and its apps are confined as their
// CRI security contexts ask: runAsUser, capabilities drop and add (exactly
// the resulting sets, for root and other users), the runtime's default
// seccomp profile, allowPrivilegeEscalation=false (no_new_privs), each in a
// mount namespace of its own.
func TestSandboxCRI(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	if _, err := os.Stat(paths.Crictl()); err != nil {
		t.Skipf("crictl missing (%v): run `make tools`", err)
	}
	for i, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			// Bridge indexes 7 and 8: apart from those TestCRI uses.
			testSandboxCRI(t, setupCRI(t, paths, v, 7+i))
		})
	}
}

func testSandboxCRI(t *testing.T, f *criFixture) {
	cri := f.d.For(t).Crictl()
	p := runPod(t, f, harness.PodConfig{Name: "sandboxed", HostNetwork: true, SecurityContext: map[string]any{
		"run_as_user": map[string]any{"value": 1000}, "run_as_group": map[string]any{"value": 1000},
		"seccomp": map[string]any{"profile_type": 0}, // RuntimeDefault
	}})
	if nsOf(t, p.pid, "mnt") == nsOf(t, os.Getpid(), "mnt") {
		t.Errorf("the pause process is in the host's mount namespace")
	}
	pause := procStatus(t, p.pid)
	for field, want := range map[string]string{
		"Uid": "1000\t1000\t1000\t1000", "Gid": "1000\t1000\t1000\t1000",
		"CapBnd": capHex(ctrDefaultCaps), "CapEff": capHex(ctrDefaultCaps), "CapPrm": capHex(ctrDefaultCaps),
		"CapAmb": capHex(0), "NoNewPrivs": "1", "Seccomp": "2",
	} {
		if pause[field] != want {
			t.Errorf("pause process /proc/%d/status %s: %q, want %q (its spec's)", p.pid, field, pause[field], want)
		}
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d/root/usr", p.pid)); err == nil {
		t.Errorf("the pause process's root has /usr")
	}

	const netBindService, netRaw = 1 << 10, 1 << 13
	run := func(name string, security map[string]any) (int, string) {
		addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
		id := startContainer(t, f, p, harness.ContainerConfig{
			Name: name, Image: f.ref(criRepoMultiB), Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addr},
			SecurityContext: security,
		})
		if _, err := harness.WaitHTTP(t.Context(), "http://"+addr+"/", 60*time.Second); err != nil {
			out, _ := cri.Run("logs", id)
			t.Fatalf("%s: %v\nlogs:\n%s", name, err, out)
		}
		expect(t, addr, request{path: "/", status: 200, want: helloBody})
		st, err := cri.Inspect(id)
		if err != nil {
			t.Fatal(err)
		}
		return st.Info.Pid, id
	}
	userPid, userID := run("as-user", map[string]any{
		"run_as_user":  map[string]any{"value": 1000},
		"capabilities": map[string]any{"drop_capabilities": []string{"ALL"}, "add_capabilities": []string{"NET_BIND_SERVICE"}},
		"seccomp":      map[string]any{"profile_type": 0}, // RuntimeDefault
		"no_new_privs": true,                              // allowPrivilegeEscalation: false
	})
	// Its compile stage ran as root: the app, as user 1000 without
	// CAP_DAC_OVERRIDE, loads the code it cached rather than compiling.
	if out, _ := cri.Run("logs", userID); strings.Contains(out, "compiling the module") || strings.Contains(out, "unusable module cache entry") {
		t.Errorf("the app running as user 1000 did not load its cached code:\n%s", out)
	}
	rootPid, rootID := run("as-root", map[string]any{
		"capabilities": map[string]any{"drop_capabilities": []string{"NET_RAW"}},
		"seccomp":      map[string]any{"profile_type": 0},
	})
	for _, c := range []struct {
		pid  int
		want map[string]string
	}{
		{userPid, map[string]string{"Uid": "1000\t1000\t1000\t1000", "CapBnd": capHex(netBindService),
			"CapEff": capHex(netBindService), "CapPrm": capHex(netBindService), "CapAmb": capHex(0),
			"NoNewPrivs": "1", "Seccomp": "2"}},
		{rootPid, map[string]string{"Uid": "0\t0\t0\t0", "CapBnd": capHex(ctrDefaultCaps &^ netRaw),
			"CapEff": capHex(ctrDefaultCaps &^ netRaw), "CapPrm": capHex(ctrDefaultCaps &^ netRaw),
			"NoNewPrivs": "0", "Seccomp": "2"}},
	} {
		got := procStatus(t, c.pid)
		for field, want := range c.want {
			if got[field] != want {
				t.Errorf("/proc/%d/status %s: %q, want %q", c.pid, field, got[field], want)
			}
		}
		if nsOf(t, c.pid, "mnt") == nsOf(t, p.pid, "mnt") || nsOf(t, c.pid, "net") != nsOf(t, p.pid, "net") {
			t.Errorf("app %d: want a mount namespace of its own and the pod's network namespace", c.pid)
		}
	}
	for _, id := range []string{userID, rootID} {
		cri.Must("stop", "--timeout", "10", id)
		if st, err := cri.Inspect(id); err != nil || st.Status.ExitCode != 0 {
			t.Errorf("%s after crictl stop: %+v %v, want exit 0", id, st.Status, err)
		}
		cri.Must("rm", id)
	}
	removePod(t, f, p, userID, rootID)
}

// assertListenBacklog checks that the app at addr listens with the accept
// queue a native server gets, net.core.somaxconn, although its sandbox has
// no /proc/sys to read it from (Go then asks for 128).
func assertListenBacklog(t *testing.T, addr string) {
	t.Helper()
	data, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(string(data))
	_, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command("ss", "-Hltn", "sport = :"+port).Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	// State, Recv-Q, Send-Q (a listening socket's backlog), local, peer.
	fields := strings.Fields(string(out))
	if len(fields) < 3 {
		t.Fatalf("ss shows no socket listening on %s: %q", addr, out)
	}
	if fields[2] != want {
		t.Errorf("the app listens on %s with a backlog of %s, want net.core.somaxconn = %s", addr, fields[2], want)
	}
}
