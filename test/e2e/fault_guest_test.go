package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
	"github.com/spinoci/spinoci/test/testio"
)

const repoFault = "e2e/fault-guests:v1"

// Runaway guests built by test/apps/build.sh from test/apps/fault.
const (
	appFaultSpinLoop  = "fault-spin-loop.wasm"
	appFaultWagiLoop  = "fault-wagi-loop.wasm"
	appFaultWagiFlood = "fault-wagi-flood.wasm"
)

// faultApp routes /spin/... to a Spin 1.x guest that loops (/spin/ok
// answers at once), /wagi/... to a WAGI guest that loops and /flood/... to
// a WAGI guest that writes 1 GiB.
func faultApp() harness.AppSpec {
	return harness.AppSpec{
		Name: "fault-guests",
		Components: []harness.AppComponent{
			{ID: "spin-loop", Wasm: appFaultSpinLoop, Executor: "spin"},
			{ID: "wagi-loop", Wasm: appFaultWagiLoop, Executor: "wagi"},
			{ID: "wagi-flood", Wasm: appFaultWagiFlood, Executor: "wagi"},
		},
		Routes: []harness.Route{
			{Route: "/...", Component: "spin-loop"},
			{Route: "/wagi/...", Component: "wagi-loop"},
			{Route: "/flood/...", Component: "wagi-flood"},
		},
	}
}

// TestFaultGuests runs runaway guests through ctr on the latest containerd:
// loops are stopped at the guest time limit (500) and stop burning CPU,
// SIGTERM with loops running exits 0 within the drain bound, and 1 GiB of
// WAGI output is cut at the output limit without touching the disk.
func TestFaultGuests(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	for _, app := range []string{appFaultSpinLoop, appFaultWagiLoop, appFaultWagiFlood} {
		if _, err := os.Stat(paths.App(app)); err != nil {
			t.Fatalf("%v (run `make testapps`)", err)
		}
	}
	reg, d := harness.StartRegistry(t), harness.StartContainerd(t, harness.ContainerdLatest)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	ref := pushLocal(ctx, t, paths, reg, d, repoFault, faultApp())

	t.Run("loops answer 500 at the time limit and stop using CPU; output is cut", func(t *testing.T) {
		testFaultLimits(t, d, ref)
	})
	t.Run("SIGTERM with loops running exits 0 within the drain bound", func(t *testing.T) {
		testFaultSIGTERM(t, d, ref)
	})
}

// startFault runs the fault app detached as id with env (runSpin1: the
// state dir mounted at /.spin is unused) and returns its address and log.
func startFault(t *testing.T, d *harness.Containerd, ref, id string, env ...string) (addr, logPath string) {
	t.Helper()
	addr = fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	logPath = filepath.Join(t.TempDir(), "app.log")
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	runSpin1(t, d, ref, id, addr, harness.TempDir(t, "state"), logPath, env...)
	return addr, logPath
}

func testFaultLimits(t *testing.T, f *harness.Containerd, ref string) {
	d := f.For(t)
	id := "fault-limits"
	addr, logPath := startFault(t, d, ref, id, "SPINOCI_GUEST_TIME_LIMIT=2s", "SPINOCI_MAX_WAGI_OUTPUT=16MiB")

	cpuAtStart := taskCPU(t, d, id)
	for _, path := range []string{"/spin/x", "/wagi/x"} {
		start := time.Now()
		resp, err := harness.Do(context.Background(), http.MethodGet, "http://"+addr+path, "")
		took := time.Since(start)
		if err != nil {
			t.Fatalf("GET %s: %v after %v", path, err, took)
		}
		if resp.Status != 500 || took < 2*time.Second || took > 6*time.Second {
			t.Errorf("GET %s: %d after %v, want 500 soon after the 2s limit", path, resp.Status, took)
		}
	}
	expect := exchange{path: "/ok", status: 200}
	check(t, addr, expect)
	if log := readFile(logPath); strings.Count(log, "over the limit of 2s (SPINOCI_GUEST_TIME_LIMIT)") < 2 {
		t.Errorf("the app log does not name the limit for both guests:\n%s", log)
	}
	// The loops burnt CPU (so taskCPU sees the app process) until they were
	// stopped, and burn none afterwards.
	before := taskCPU(t, d, id)
	// (On a busy machine the loops get a fraction of a core.)
	if used := before - cpuAtStart; used < 500*time.Millisecond {
		t.Errorf("the app used %v of CPU while two guests looped for 2s each: is taskCPU measuring it?", used)
	}
	time.Sleep(2 * time.Second)
	if used := taskCPU(t, d, id) - before; used > 150*time.Millisecond {
		t.Errorf("the app used %v of CPU in 2s after its guests were stopped", used)
	}

	// 1 GiB of WAGI output: cut at 16 MiB, nothing written under the app.
	start := time.Now()
	resp, err := harness.HTTPClient().Get("http://" + addr + "/flood/x")
	if err != nil {
		t.Fatal(err)
	}
	n, readErr := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || readErr == nil || n > 16<<20 {
		t.Errorf("flood: status %d, %d bytes, read error %v: want 200 cut (incomplete) at 16 MiB after %v",
			resp.StatusCode, n, readErr, time.Since(start))
	}
	if !strings.Contains(readFile(logPath), "WAGI output over the limit of 16777216 bytes (SPINOCI_MAX_WAGI_OUTPUT): response cut") {
		t.Errorf("the cut is not logged:\n%s", readFile(logPath))
	}
	if peak := peakRSS(t, taskPid(t, d, id)); peak > 256<<20 {
		t.Errorf("the app's peak resident memory is %d MiB after the flood", peak>>20)
	}
	if size := dirSize(d.AppDir(id)); size > 8<<20 {
		t.Errorf("the app dir holds %d bytes after the flood", size)
	}
	stopSpin1(t, d, id)
}

func testFaultSIGTERM(t *testing.T, f *harness.Containerd, ref string) {
	d := f.For(t)
	id := "fault-term"
	addr, logPath := startFault(t, d, ref, id, "SPINOCI_GUEST_TIME_LIMIT=0", "SPINOCI_SHUTDOWN_TIMEOUT=3s")
	for _, path := range []string{"/spin/a", "/spin/b", "/wagi/a"} {
		go func() { _, _ = harness.Do(context.Background(), http.MethodGet, "http://"+addr+path, "") }()
	}
	time.Sleep(time.Second) // the guests are looping
	start := time.Now()
	if out, code := d.Ctr("task", "kill", id); code != 0 {
		t.Fatalf("ctr task kill: exit %d\n%s", code, out)
	}
	if _, err := d.WaitTaskStatus(id, "STOPPED", 10*time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, readFile(logPath))
	}
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("stop took %v with a 3s drain", took)
	}
	if !strings.Contains(readFile(logPath), "interrupting them") {
		t.Errorf("the interruption is not logged:\n%s", readFile(logPath))
	}
	if out, code := d.Ctr("task", "rm", id); code != 0 || strings.Contains(out, "exit code") {
		t.Errorf("ctr task rm: exit %d, want 0 and exit status 0:\n%s", code, out)
	}
	if out, code := d.Ctr("container", "rm", id); code != 0 {
		t.Errorf("ctr container rm: exit %d\n%s", code, out)
	}
}

// taskCPU is the user+system CPU time of the container's process (the
// app process: ctr task ls's PID).
func taskCPU(t *testing.T, d *harness.Containerd, id string) time.Duration {
	t.Helper()
	cpu, err := harness.ProcessCPU(taskPid(t, d, id))
	if err != nil {
		t.Fatal(err)
	}
	return cpu
}

// peakRSS is VmHWM of /proc/<pid>/status, in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	n, err := testio.ProcStatusBytes(pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) int64 {
	var size int64
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			size += info.Size()
		}
		return nil
	})
	return size
}
