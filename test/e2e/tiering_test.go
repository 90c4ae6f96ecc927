package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// TestCompileTiers: the first start of an app serves with fast code
// (Winch's); the optimising compile stage then caches the optimised code
// in the background, and the running app keeps serving. A later start
// finds both and compiles nothing.
func TestCompileTiers(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	reg := harness.StartRegistry(t)
	d := harness.StartContainerd(t, harness.ContainerdLatest)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const repo = "tiers/go:v1"
	ref := pushLocal(ctx, t, paths, reg, d, repo, harness.AppSpec{
		Name:       "tiers",
		Components: []harness.AppComponent{{ID: "go", Wasm: harness.AppSpinGo, Executor: "spin"}},
		Routes:     []harness.Route{{Route: "/...", Component: "go"}},
	})
	entries := cacheEntries(t, paths, d, harness.AppSpinGo)

	// The first start runs the fast tier's code: Winch's, in the app's
	// Winch engine (its log says so before the app serves).
	addr, out := d.RunDetached(ctx, ref, "tiers-1", harness.RunOptions{})
	if !strings.Contains(out, "running core modules' Winch code") {
		t.Errorf("the first start does not say it runs Winch code:\n%s", out)
	}
	expect(t, addr, request{path: "/go/first", status: 200})
	// Fast code first (one entry), then the optimised code beside it.
	deadline := time.Now().Add(90 * time.Second)
	for len(entries()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no optimised code cached after 90 s: %v", entries())
		}
		time.Sleep(250 * time.Millisecond)
	}
	expect(t, addr, request{path: "/go/after", status: 200})
	cleanupContainer(t, d, "tiers-1")

	addr, _ = d.RunDetached(ctx, ref, "tiers-2", harness.RunOptions{})
	expect(t, addr, request{path: "/go/second-start", status: 200})
	if n := len(entries()); n != 2 {
		t.Errorf("%d cache entries after the second start, want the same 2", n)
	}
}

// TestOptimisedAfterTheContainerEnds: a container that ends while its
// optimising compile stage runs does not wait for it (an attached `ctr run`
// returns as soon as the app is gone: the stage does not hold the
// container's output), and the stage still caches the optimised code of
// every component, the app directory being gone meanwhile, its shim exiting
// once it is done. Meanwhile the same container id runs again (a server of
// its own), and a later start loads the optimised code.
func TestOptimisedAfterTheContainerEnds(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	reg := harness.StartRegistry(t)
	d := harness.StartContainerd(t, harness.ContainerdLatest)
	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	// Two 12 MB JS components: their optimising compile takes seconds
	// each, the second wasm read long after the container is gone.
	ref := pushLocal(ctx, t, paths, reg, d, "tiers/js:v1", harness.AppSpec{
		Name: "tiers-js",
		Components: []harness.AppComponent{
			{ID: "js", Wasm: appJSHello, Executor: "spin"},
			{ID: "js-spin", Wasm: appJSSpin, Executor: "spin"},
		},
		Routes: []harness.Route{{Route: "/...", Component: "js"}, {Route: "/spin/...", Component: "js-spin"}},
	})
	helloEntries := cacheEntries(t, paths, d, appJSHello)
	spinEntries := cacheEntries(t, paths, d, appJSSpin)
	optimised := func() bool { return len(helloEntries()) == 2 && len(spinEntries()) == 2 }

	const id = "short-lived"
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	fg := startForeground(t, d, ref, id, addr)
	fg.waitServing(t, "http://"+addr+"/")
	if len(helloEntries()) != 1 || len(spinEntries()) != 1 {
		t.Fatalf("cache entries when the first start serves: %v, %v; want each component's fast code alone", helloEntries(), spinEntries())
	}
	// The optimising stage runs in the container's cgroup, under its
	// limits, as the OOM killer's first choice there.
	cgroupPath := "/" + harness.DefaultNamespace + "/" + id
	stage := waitOptimisingStage(t, d, 30*time.Second)
	if cg := procFile(stage, "cgroup"); !strings.Contains(cg, cgroupPath+"\n") {
		t.Errorf("the optimising stage is not in the container's cgroup %s:\n%s", cgroupPath, cg)
	}
	if adj := strings.TrimSpace(procFile(stage, "oom_score_adj")); adj != "1000" {
		t.Errorf("the optimising stage's oom_score_adj is %s, want 1000", adj)
	}
	if out, code := d.Ctr("task", "kill", "-s", "SIGKILL", id); code != 0 {
		t.Fatalf("ctr task kill: %s", out)
	}
	fg.wait(t, 20*time.Second)
	if optimised() {
		t.Errorf("ctr run returned only once the optimising compile stage had cached its code: it waited for the stage")
	}
	// The container is deleted (ctr run --rm): the stage, still running,
	// moved out of its cgroup, which is gone.
	if cg := procFile(stage, "cgroup"); cg != "" && strings.Contains(cg, cgroupPath+"\n") {
		t.Errorf("the optimising stage is still in the deleted container's cgroup %s", cgroupPath)
	}
	for _, hierarchy := range []string{"", "memory", "cpu", "pids"} {
		dir := filepath.Join("/sys/fs/cgroup", hierarchy, cgroupPath)
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("the deleted container's cgroup %s is still there", dir)
		}
	}

	// The id is free again at once: its new container gets a server of
	// its own, not the one finishing the first container's stage.
	addr, _ = d.RunDetached(ctx, ref, id, harness.RunOptions{})
	expect(t, addr, request{path: "/", status: 200})
	cleanupContainer(t, d, id)

	// The stage runs at nice 19: on a busy machine it takes a while.
	deadline := time.Now().Add(4 * time.Minute)
	for !optimised() {
		if time.Now().After(deadline) {
			t.Fatalf("the optimised code of both components is not cached 4 min after the containers ended: %v, %v", helloEntries(), spinEntries())
		}
		time.Sleep(250 * time.Millisecond)
	}
	deadline = time.Now().Add(30 * time.Second)
	for procs := d.Procs(); len(procs) > 0; procs = d.Procs() {
		if time.Now().After(deadline) {
			t.Fatalf("processes left 30 s after the optimised code was cached: %v", procs)
		}
		time.Sleep(250 * time.Millisecond)
	}

	addr, out := d.RunDetached(ctx, ref, "after", harness.RunOptions{})
	expect(t, addr, request{path: "/", status: 200})
	if strings.Contains(out, "Winch code") {
		t.Errorf("a start after the optimised code was cached runs Winch code:\n%s", out)
	}
	cleanupContainer(t, d, "after")
}

// cacheEntries returns a func that lists the compile cache entries of d's
// shims for the test app file app (they are named after its sha256).
func cacheEntries(t *testing.T, paths harness.Paths, d *harness.Containerd, app string) func() []string {
	t.Helper()
	wasm, err := paths.ReadApp(app)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(wasm)
	pattern := filepath.Join(d.Root, harness.RuntimeType, "cache", hex.EncodeToString(sum[:])+"-*.cwasm")
	return func() []string {
		names, _ := filepath.Glob(pattern)
		return names
	}
}

// waitOptimisingStage returns the pid of the optimising compile stage a
// shim of d runs, waiting for one to start.
func waitOptimisingStage(t *testing.T, d *harness.Containerd, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, p := range d.Procs() {
			if strings.Contains(strings.Join(p.Cmdline, " "), "--compile-tier optimized") {
				return p.PID
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no optimising compile stage runs %v after the first start", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// procFile reads /proc/<pid>/<name> ("" once the process is gone).
func procFile(pid int, name string) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
	return string(b)
}
