package nsenter

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spinoci/spinoci/shim/appproto"
)

// helperEnv makes the test binary act as the child: the constructor has run
// by then, so it reports what it sees and exits.
const helperEnv = "SPINOCI_NSENTER_TEST_HELPER"

// heldTestVar is a variable the shim holds back from glibc's loader
// (appproto.ChildEnv).
const heldTestVar = "LD_SPINOCI_TEST"

// atSysinfoEHDR is AT_SYSINFO_EHDR (<elf.h>): the vDSO's address.
const atSysinfoEHDR = 33

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		netns, _ := os.Readlink("/proc/self/ns/net")
		uts, _ := os.Readlink("/proc/self/ns/uts")
		lo := "down"
		if ifc, err := net.InterfaceByName("lo"); err == nil && ifc.Flags&net.FlagUp != 0 {
			lo = "up"
		}
		leaked := os.Getenv(appproto.EnvJoin) + os.Getenv(appproto.EnvLoopbackUp) + os.Getenv(appproto.EnvErrorFD)
		for _, kv := range os.Environ() {
			if strings.HasPrefix(kv, "_SPINOCI_") {
				leaked += kv
			}
		}
		// The runtime must have found the auxiliary vector after the
		// environment: with it the vDSO (clock reads without system calls).
		vdso := "no"
		if auxv, err := unix.Auxv(); err == nil {
			for _, kv := range auxv {
				if kv[0] == atSysinfoEHDR && kv[1] != 0 {
					vdso = "yes"
				}
			}
		}
		os.Stdout.WriteString("vdso=" + vdso + " net=" + netns + " uts=" + uts + " lo=" + lo + " held=" + os.Getenv(heldTestVar) +
			" leaked=" + leaked + "\n")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("joining namespaces needs root")
	}
}

// holder starts a process in new network and UTS namespaces and returns its
// pid.
func holder(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

func runHelper(t *testing.T, env []string, sys *syscall.SysProcAttr, extra ...*os.File) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=1"}, env...)...)
	cmd.SysProcAttr = sys
	cmd.ExtraFiles = extra
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestHiddenVariablesKeepAuxv: the constructor hides its variables from
// the child's environment without breaking what the Go runtime reads after
// it, the auxiliary vector (vDSO, AT_RANDOM), as unsetenv did. The runtime
// falls back to /proc/self/auxv, which a sandboxed app process does not
// have: the child runs with an empty /proc, as there.
func TestHiddenVariablesKeepAuxv(t *testing.T) {
	requireRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) not found")
	}
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		`mount -t tmpfs none /proc && exec "$0" -test.run='^$'`, os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"=1", appproto.EnvLoopbackUp+"=0", appproto.EnvErrorFD+"=9")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "leaked=\n") {
		t.Errorf("the variables leaked into the child's environment: %s", out)
	}
	if !strings.HasPrefix(string(out), "vdso=yes ") {
		t.Errorf("the child's runtime lost the auxiliary vector (no vDSO): %s", out)
	}
}

// TestHeldVariablesAreReleased: a variable the shim renamed so that the
// loader would not act on it reaches the Go program under its own name, and
// the held name is gone.
func TestHeldVariablesAreReleased(t *testing.T) {
	out, err := runHelper(t, appproto.ChildEnv([]string{heldTestVar + "=kept"}), nil)
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if !strings.Contains(out, " held=kept ") || !strings.Contains(out, "leaked=\n") {
		t.Errorf("want %s=kept and no held name left: %s", heldTestVar, out)
	}
}

func TestJoinNetAndUTS(t *testing.T) {
	requireRoot(t)
	pid := holder(t)
	wantNet, _ := os.Readlink("/proc/" + itoa(pid) + "/ns/net")
	wantUTS, _ := os.Readlink("/proc/" + itoa(pid) + "/ns/uts")
	env, err := appproto.JoinEnv([]appproto.NamespaceJoin{{Type: "net", Path: "/proc/" + itoa(pid) + "/ns/net"}, {Type: "uts", Path: "/proc/" + itoa(pid) + "/ns/uts"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := runHelper(t, []string{env}, nil)
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if !strings.Contains(out, "net="+wantNet+" ") || !strings.Contains(out, "uts="+wantUTS+" ") {
		t.Errorf("child did not join %s and %s: %s", wantNet, wantUTS, out)
	}
	if !strings.Contains(out, "leaked=\n") {
		t.Errorf("the nsenter variables reached the Go program: %s", out)
	}
}

func TestLoopbackUpInNewNetns(t *testing.T) {
	requireRoot(t)
	sys := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := runHelper(t, nil, sys)
	if err != nil || !strings.Contains(out, "lo=down") {
		t.Fatalf("without %s a new netns should have lo down: %v %s", appproto.EnvLoopbackUp, err, out)
	}
	out, err = runHelper(t, []string{appproto.EnvLoopbackUp + "=1"}, sys)
	if err != nil || !strings.Contains(out, "lo=up") {
		t.Fatalf("with %s=1: %v %s", appproto.EnvLoopbackUp, err, out)
	}
}

func TestJoinFailureIsReported(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out, err := runHelper(t, []string{appproto.EnvJoin + "=net=/nonexistent/ns/net", appproto.EnvErrorFD + "=3"}, nil, w)
	w.Close()
	if err == nil {
		t.Fatalf("helper succeeded with a missing namespace: %s", out)
	}
	want := "opening the pod's network namespace /nonexistent/ns/net: No such file or directory"
	if !strings.Contains(out, want) {
		t.Errorf("stderr %q does not say %q", out, want)
	}
	line, err := bufio.NewReader(r).ReadBytes('\n')
	if err != nil {
		t.Fatalf("no status line: %v", err)
	}
	var st struct{ Error string }
	if err := json.Unmarshal(line, &st); err != nil || st.Error != want {
		t.Errorf("status line %q: error %q (%v), want %q", line, st.Error, err, want)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestConstructorTimes: the constructor, which ran before this test binary's
// Go runtime, says when it began and when it had confined the process, in
// that order and before now.
func TestConstructorTimes(t *testing.T) {
	began, confined := ConstructorTimes()
	now := time.Now().UnixNano()
	if began <= 0 || confined < began || confined > now || now-began > int64(time.Hour) {
		t.Errorf("constructor times began %d, confined %d (now %d): want 0 < began ≤ confined ≤ now", began, confined, now)
	}
}
