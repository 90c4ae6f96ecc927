package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spinoci/spinoci/test/e2e/bench/report"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// results is everything one run measured.
type results struct {
	o      options
	ws     workloads
	starts []startResult // hello, spin-go, spin-rust, js, js2, files, runc, floor, hello-shared
	phases []phaseResult // hello, runc
	execs  []execCost    // the binaries a start runs
	wrks   []wrkResult   // spinoci hello, native, the request floor
	guests []wrkResult   // heavier guests: spin-rust, spin-go, js
	ratio  float64       // P3: the median of the rounds' ratios of requests/s
	// floorRatio is P3's bound: the median of the rounds' ratios of the
	// request floor's requests/s to native's.
	floorRatio float64
	disk       replicaDisk
	density    []densityStep
	polled     pollingMemory // a few of the density run's apps after metrics polling
	runcRef    densityStep   // runc containers of the native server, for comparison
	shared     densityStep   // apps sharing one shim server (the group annotation)
	floorRef   densityStep   // start floor shims (no app process): a Go shim server's own memory
	pods       []podMemory
	// sharedPods are pods sharing one shim server (the group annotation).
	sharedPods []podMemory
	compile    []compileFloor // P2's floor: pure compilation of the first-start apps
	elapsed    time.Duration
	pageFault  time.Duration // pageFaultCost at the start of the run
	version    string        // containerd
}

// runcReferenceContainers is how many runc containers of the native server
// are measured as the reference of the memory per app.
const runcReferenceContainers = 10

// replicaDisk is the disk used under the daemon's root and state with no,
// one and two replicas of the static-files app running.
type replicaDisk struct {
	none, one, two int64
}

func bench(t harness.T, o options) {
	began := time.Now()
	paths := harness.Require(t, harness.ContainerdLatest)
	daemonBin, _ := paths.Containerd(harness.ContainerdLatest)
	runcShim := filepath.Join(filepath.Dir(daemonBin), "containerd-shim-runc-v2")
	if _, err := os.Stat(runcShim); err != nil {
		t.Fatalf("%v: run `make bench` (it builds containerd-shim-runc-v2)", err)
	}
	for _, tool := range []string{"runc", "wrk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: apt-get install runc wrk", tool)
		}
	}
	work := harness.TempDir(t, "bench")
	r := results{o: o}
	if cost, err := pageFaultCost(); err != nil {
		t.Logf("   %v", err)
	} else {
		r.pageFault = cost
		t.Logf("== a page fault costs %s here now", micros(cost))
	}
	reg := harness.StartRegistry(t)
	t.Logf("== pushing the workloads")
	r.ws = pushWorkloads(t, paths, reg.Host, work, o.fileMB)
	all := []workload{r.ws.hello, r.ws.spinGo, r.ws.spinRust, r.ws.js, r.ws.js2, r.ws.files, r.ws.runc, r.ws.floor, r.ws.helloShared}
	floorDir := filepath.Join(work, "floor-bin")
	buildFloorShim(t, floorDir)

	// A module cache of this run's own: the first starts compile.
	moduleCache := filepath.Join(work, "module-cache")
	d := harness.StartContainerdWith(t, harness.ContainerdLatest, harness.ContainerdOptions{ModuleCacheDir: moduleCache, ShimDirs: []string{floorDir}})
	r.version = d.Version
	if o.throughputOnly {
		throughputOnly(t, d, r.ws, work, o.duration)
		return
	}
	if o.startOnly {
		startOnly(t, d, r.ws, work, o.runs, func() { forgetApps(t, d, moduleCache) })
		return
	}
	if o.firstStartOnly {
		firstStartOnly(t, d, r.ws, work, o.runs, func() { forgetApps(t, d, moduleCache) })
		return
	}
	if o.densityOnly {
		d.Pull(r.ws.hello.ref)
		t.Logf("\n== P4 density: idle PSS per app, up to %d apps", o.apps)
		measureDensity(t, d, r.ws.hello, work, o.apps)
		d.Stop()
		return
	}

	t.Logf("\n== P1, P2, P5, P6 start: ctr run -d → first HTTP 200 (%d first starts, then %d interleaved rounds)", firstStartRounds, o.runs)
	r.starts = measureStarts(t, d, all, o.runs, work, func() { forgetApps(t, d, moduleCache) })
	t.Logf("\n== P1 where the start time goes: ctr container create, ctr task start -d, first HTTP 200")
	r.phases = measurePhases(t, d, []workload{r.ws.hello, r.ws.runc}, o.runs, work)
	t.Logf("\n== P1 what each exec of a binary a start runs costs")
	r.execs = measureExecCosts(t, paths, runcShim, r.ws.nativeBin)

	t.Logf("\n== P3 throughput: wrk %s %s -d%v", wrkThreads, wrkConnections, o.duration)
	d.Pull(r.ws.requestFloor.ref)
	r.wrks, r.ratio, r.floorRatio = measureThroughput(t, d, r.ws.hello, r.ws.runc, r.ws.requestFloor, work, o.duration)
	t.Logf("   heavier guests:")
	r.guests = measureGuests(t, d, []workload{r.ws.spinRust, r.ws.spinGo, r.ws.js}, work, o.duration)

	t.Logf("\n== P5 disk per replica of the static-files app")
	r.disk = measureReplicaDisk(t, d, r.ws.files, work)

	t.Logf("\n== P4 density: idle PSS per app, up to %d apps", o.apps)
	r.density, r.polled = measureDensity(t, d, r.ws.hello, work, o.apps)
	t.Logf("   for comparison, %d runc containers of the native Go server:", runcReferenceContainers)
	r.runcRef = measureDensityAt(t, d, r.ws.runc, work, []int{runcReferenceContainers}, nil)[0]
	t.Logf("   the start floor's shim servers alone (no app process), %d:", runcReferenceContainers)
	r.floorRef = measureDensityAt(t, d, r.ws.floor, work, []int{runcReferenceContainers}, nil)[0]
	t.Logf("   %d apps sharing one shim server (%s):", o.apps, harness.GroupAnnotation)
	r.shared = measureSharedServer(t, d, r.ws.hello, work, o.apps)
	d.Stop()

	t.Logf("\n== P2 compile floor: the first-start apps compiled alone (Winch, and Cranelift's fast tier)")
	floor := buildCompileFloor(t, work)
	r.compile = measureCompileFloor(t, func(app, setting string) []compileFloor { return floor.measure(t, app, setting) })

	t.Logf("\n== P4 per pod under CRI (%d pods)", o.pods)
	r.pods = measurePods(t, reg.Host, r.ws.hello, moduleCache, o.pods, "")
	t.Logf("   %d pods sharing one shim server (%s):", o.pods, harness.GroupAnnotation)
	r.sharedPods = measurePods(t, reg.Host, r.ws.hello, moduleCache, o.pods, "bench")

	r.elapsed = time.Since(began)
	if err := writeReport(o.out, r); err != nil {
		t.Fatalf("%v", err)
	}
	t.Logf("\n== wrote %s and its plots in %v", o.out, r.elapsed.Round(time.Second))
}

// forgetApps removes what earlier starts left in d for later ones, while no
// container runs: the compiled code in moduleCache and the shim's file
// store, so that the next start of each app is its first on the node again.
func forgetApps(t harness.T, d *harness.Containerd, moduleCache string) {
	for _, dir := range []string{moduleCache, filepath.Join(d.Root, harness.RuntimeType, "store")} {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatalf("forgetting the apps: %v", err)
		}
	}
}

// measureReplicaDisk reads the disk used under the daemon's root and state
// before the app runs, with one replica running and with two.
func measureReplicaDisk(t harness.T, d *harness.Containerd, w workload, work string) replicaDisk {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	usage := func() int64 {
		n, err := diskUsage(d.Root, d.State)
		if err != nil {
			t.Fatalf("%v", err)
		}
		return n
	}
	var r replicaDisk
	r.none = usage()
	runDetached(ctx, t, d, w, work, "replica-1")
	r.one = usage()
	runDetached(ctx, t, d, w, work, "replica-2")
	r.two = usage()
	stop(t, d, "replica-1")
	stop(t, d, "replica-2")
	t.Logf("   du of root+state: %s with none, %s with one replica, %s with two",
		report.FormatMB(float64(r.none)), report.FormatMB(float64(r.one)), report.FormatMB(float64(r.two)))
	return r
}

// throughputOnly measures P3 alone (-throughput-only), for development:
// its first start compiles, and nothing else runs meanwhile.
func throughputOnly(t harness.T, d *harness.Containerd, ws workloads, work string, dur time.Duration) {
	d.Pull(ws.hello.ref)
	d.Pull(ws.runc.ref)
	d.Pull(ws.requestFloor.ref)
	t.Logf("\n== P3 throughput: wrk %s %s -d%v", wrkThreads, wrkConnections, dur)
	wrks, ratio, floorRatio := measureThroughput(t, d, ws.hello, ws.runc, ws.requestFloor, work, dur)
	t.Logf("   P3: %.2f× (medians %.0f vs %.0f req/s), bound %.2f× (the request floor, %.0f req/s); server CPU per request %s vs %s, the floor's %s",
		ratio, wrks[0].rps, wrks[1].rps, floorRatio, wrks[2].rps, micros(wrks[0].cpuPerRequest), micros(wrks[1].cpuPerRequest), micros(wrks[2].cpuPerRequest))
	guests := []workload{ws.spinRust, ws.spinGo, ws.js}
	for _, w := range guests {
		d.Pull(w.ref)
		settleOptimisedCode(t, d, w, work)
	}
	t.Logf("   heavier guests:")
	for _, g := range measureGuests(t, d, guests, work, dur) {
		t.Logf("   %s: median %.0f req/s, server CPU %s/request", g.name, g.rps, micros(g.cpuPerRequest))
	}
	d.Stop()
}

// startOnly measures P1 alone, for development: the cached starts of hello,
// runc, the start floor and hello joining a running server, the hello
// start's three steps, and the phases of Create the shim logged
// (containerd's debug log).
func startOnly(t harness.T, d *harness.Containerd, ws workloads, work string, runs int, forget func()) {
	starts := measureStarts(t, d, []workload{ws.hello, ws.runc, ws.floor, ws.helloShared}, runs, work, forget)
	runcMS := median(starts[1].cached)
	for _, s := range starts {
		t.Logf("   %s: median %.1f ms (%.2f× runc)", s.w.key, median(s.cached), median(s.cached)/runcMS)
	}
	for _, p := range measurePhases(t, d, []workload{ws.hello, ws.runc}, runs, work) {
		t.Logf("   %s: container create %.1f ms, task start %.1f ms, to the first 200 %.1f ms",
			p.w.key, median(p.create), median(p.start), median(p.listen))
	}
	logCreatePhases(t, d)
	d.Stop()
}

// firstStartOnly measures P2 alone, for development: runs rounds of first
// starts of the Rust module and the JS component (the compile cache and
// file store forgotten before each), and the phases of Create the shim
// logged, with its compile stages' (containerd's debug log).
func firstStartOnly(t harness.T, d *harness.Containerd, ws workloads, work string, runs int, forget func()) {
	firsts := map[string][]time.Duration{}
	for r := range runs {
		var line []string
		for _, w := range []workload{ws.spinRust, ws.js} {
			stopLingeringServers(t, d)
			forget()
			if r == 0 {
				d.Pull(w.ref)
			}
			dt := startOnce(t, d, w, work, fmt.Sprintf("f-%s-%d", w.key, r))
			firsts[w.key] = append(firsts[w.key], dt)
			line = append(line, fmt.Sprintf("%s %v", w.key, dt.Round(time.Millisecond)))
		}
		t.Logf("   first start %d: %s", r+1, strings.Join(line, ", "))
	}
	for _, w := range []workload{ws.spinRust, ws.js} {
		t.Logf("   %s: median %.0f ms", w.key, median(firsts[w.key]))
	}
	logCreatePhases(t, d)
	d.Stop()
}

// logCreatePhases logs the phases of Create the shim logged, and its
// compile stages' durations (containerd's debug log).
func logCreatePhases(t harness.T, d *harness.Containerd) {
	log, err := os.ReadFile(d.Log)
	if err != nil {
		t.Fatalf("reading containerd's log: %v", err)
	}
	for line := range strings.Lines(string(log)) {
		if strings.Contains(line, `msg="task created"`) || strings.Contains(line, `msg="compile stage done"`) {
			t.Logf("   %s", strings.TrimSpace(line))
		}
	}
}
