package main

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/e2e/bench/report"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

func TestDensitySteps(t *testing.T) {
	for most, want := range map[int][]int{
		1:   {1},
		10:  {1, 5, 10},
		40:  {1, 5, 10, 25, 40},
		200: {1, 5, 10, 25, 50, 100, 150, 200},
	} {
		if got := densitySteps(most); !slices.Equal(got, want) {
			t.Errorf("densitySteps(%d) = %v, want %v", most, got, want)
		}
	}
}

func TestFlagValue(t *testing.T) {
	argv := []string{"shim", "-namespace", "ns", "-id", "abc", "--address=/run/c.sock", "start"}
	for name, want := range map[string]string{"id": "abc", "namespace": "ns", "address": "/run/c.sock", "bundle": ""} {
		if got := flagValue(argv, name); got != want {
			t.Errorf("flagValue(%s) = %q, want %q", name, got, want)
		}
	}
	if got := flagValue([]string{"x", "-id"}, "id"); got != "" {
		t.Errorf("a trailing -id gave %q", got)
	}
}

func TestProcessTree(t *testing.T) {
	parents := map[int]int{10: 1, 11: 10, 12: 10, 13: 11, 20: 1}
	got := descendants(parents, 10)
	slices.Sort(got)
	if !slices.Equal(got, []int{11, 12, 13}) {
		t.Errorf("descendants of 10 = %v", got)
	}
	own, err := readParents()
	if err != nil {
		t.Fatal(err)
	}
	if own[os.Getpid()] != os.Getppid() {
		t.Errorf("readParents: parent of %d is %d, want %d", os.Getpid(), own[os.Getpid()], os.Getppid())
	}
}

func TestDiskUsageCountsHardLinksOnce(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.MkdirAll(a, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a, "data"), make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	one, err := diskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if one < 1<<20 {
		t.Fatalf("usage %d bytes with a 1 MiB file", one)
	}
	if err := os.Link(filepath.Join(a, "data"), filepath.Join(b, "link")); err != nil {
		t.Fatal(err)
	}
	linked, err := diskUsage(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if linked >= one+(1<<19) {
		t.Errorf("a hard link added %d bytes", linked-one)
	}
	if err := os.WriteFile(filepath.Join(b, "copy"), make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	copied, _ := diskUsage(dir)
	if copied < linked+(1<<20) {
		t.Errorf("a 1 MiB copy added %d bytes", copied-linked)
	}
	if _, err := diskUsage(filepath.Join(dir, "missing")); err == nil {
		t.Error("no error for a missing root")
	}
}

const wrkSample = `Running 2s test @ http://127.0.0.1:8080/
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.91ms    5.02ms  60.00ms   88.00%
    Req/Sec     9.45k     1.20k   12.00k    70.00%
  Latency Distribution
     50%    2.22ms
     75%    4.00ms
     90%    9.00ms
     99%   28.39ms
  37691 requests in 2.01s, 3.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  18796.12
Transfer/sec:      1.50MB
`

func TestParseWrk(t *testing.T) {
	r := parseWrk(wrkSample)
	if r.rps != 18796.12 || r.avg != "3.91ms" || r.p50 != "2.22ms" || r.p99 != "28.39ms" || r.requests != "37691" {
		t.Errorf("parsed %+v", r)
	}
	if r.errs != "Non-2xx or 3xx responses: 3" {
		t.Errorf("errors %q", r.errs)
	}
	if r := parseWrk("nothing"); r.rps != 0 || r.avg != "?" {
		t.Errorf("parsed garbage as %+v", r)
	}
}

// millis is durations of v milliseconds.
func millis(v ...int) []time.Duration {
	var out []time.Duration
	for _, x := range v {
		out = append(out, time.Duration(x)*time.Millisecond)
	}
	return out
}

func TestRowsAndRender(t *testing.T) {
	ms := millis
	w := func(key, runtime string, size int64) workload {
		return workload{key: key, name: key, runtime: runtime, size: size}
	}
	r := results{
		o:  options{runs: 3, duration: time.Second, fileMB: 10},
		ws: workloads{filesBytes: 200e6},
		starts: []startResult{
			{w: w("hello", harness.RuntimeType, 367), first: 150 * time.Millisecond, cached: ms(40, 50, 60)},
			{w: w("spin-go", harness.RuntimeType, 2.6e6), first: 180 * time.Millisecond, cached: ms(90, 100, 110)},
			{w: w("spin-rust", harness.RuntimeType, 5.9e6), first: 120 * time.Millisecond, cached: ms(90, 100, 110)},
			{w: w("js", harness.RuntimeType, 12e6), first: 6 * time.Second, cached: ms(300, 290, 310)},
			{w: w("files", harness.RuntimeType, 367), first: 70 * time.Millisecond, cached: ms(55, 65, 60)},
			{w: w("runc", "io.containerd.runc.v2", 5.8e6), first: 130 * time.Millisecond, cached: ms(100, 100, 100)},
			{w: w("floor", floorRuntime, 0), first: 45 * time.Millisecond, cached: ms(35, 40, 45)},
			{w: w("hello-shared", harness.RuntimeType, 367), cached: ms(30, 45, 50)},
		},
		phases:    []phaseResult{{w: w("hello", harness.RuntimeType, 367), create: ms(20, 30, 25), start: ms(40, 50, 45), listen: ms(5, 15, 10)}},
		execs:     []execCost{{name: "shim", size: 23e6, perStart: "2", runs: ms(7, 5, 6)}},
		wrks:      []wrkResult{{name: "spin", rps: 60000}, {name: "native", rps: 80000}},
		disk:      replicaDisk{none: 300e6, one: 320e6, two: 320.5e6},
		pageFault: 12345 * time.Nanosecond,
		density:   []densityStep{{apps: 10, total: groupMemory{shim: report.Memory{PSS: 30e6}, children: report.Memory{PSS: 20e6}}}},
		polled: pollingMemory{polls: 20, before: densityStep{apps: 2, total: groupMemory{shim: report.Memory{PSS: 6e6}, children: report.Memory{PSS: 4e6}}},
			after: densityStep{apps: 2, total: groupMemory{shim: report.Memory{PSS: 8e6}, children: report.Memory{PSS: 4e6}}}},
		runcRef: densityStep{apps: 10, total: groupMemory{shim: report.Memory{PSS: 40e6}, children: report.Memory{PSS: 30e6}}},
		pods:    []podMemory{{shim: report.Memory{PSS: 5e6}, pause: report.Memory{PSS: 1e6}, app: report.Memory{PSS: 3e6}}},
		sharedPods: []podMemory{{shim: report.Memory{PSS: 1e6}, pause: report.Memory{PSS: 1e6}, app: report.Memory{PSS: 3e6}},
			{shim: report.Memory{PSS: 1e6}, pause: report.Memory{PSS: 1e6}, app: report.Memory{PSS: 2e6}}},
	}
	got := rows(r)
	want := []struct {
		id    string
		value float64
		met   bool
	}{
		{"P1", 0.5, true},   // 50 / 100 ms
		{"P1", 0.4, false},  // the floor: 40 / 100 ms, no target
		{"P1", 0.45, false}, // hello joining a running server: 45 / 100 ms, no target
		{"P2", 1.2, true},   // spin-rust's first start 120 / runc 100 ms
		{"P2", 1.8, false},  // spin-go's first start 180 / runc 100 ms: no target
		{"P2", 6, false},    // JS first start, seconds
		{"P3", 0.75, true},  // 60k / 80k
		{"P4", 5, true},     // 50 MB / 10 apps
		{"P4", 6, false},    // after polling: 12 MB / 2 apps, no target
		{"P4", 9, false},    // per pod: no target
		{"P4", 4.5, false},  // per pod sharing a server: (5 + 4) MB / 2 pods
		{"P5", 10, true},    // 60 - 50 ms
		{"P5", 0.5, true},   // MB per extra replica
		{"P6", 300, false},  // ms
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		row := got[i]
		if d := row.Value - w.value; row.ID != w.id || d > 1e-9 || d < -1e-9 || row.Met() != w.met {
			t.Errorf("row %d: %s value %v met %v, want %s %v %v", i, row.ID, row.Value, row.Met(), w.id, w.value, w.met)
		}
	}
	md := render(r)
	for _, want := range []string{"## Targets", "## Machine", "## Start-up", "## Throughput", "## Memory", "## Static files",
		"(" + startPlotFile + ")", "| hello (`hello`) | 25 ms | 45 ms | 10 ms | 80 ms |", "(" + densityPlotFile + ")", "| 10 | 5.0 MB | 3.0 MB | 2.0 MB |", "| 1 | its own | 9.0 MB | 5.0 MB | 1.0 MB | 3.0 MB |", "| 2 | shared | 4.0 MB | 1.0 MB | 1.0 MB | 2.0 MB |",
		"| P2 | first start ever, 5.9 MB Rust module (compile included) |", "| P2 | first start ever, 2.6 MB Go module (compile included; the issue's target names the Rust module) |",
		"| P4 | idle PSS per app after metrics polling: 2 of the 10 apps, 20 × `ctr task metrics` each (the shim's Stats) | shim 4.0 MB + app 2.0 MB; 5.0 MB before |",
		"poll they take 6.0 MB per app (the shim server 4.0 MB), against 5.0 MB before.",
		"10 runc containers of the native Go hello server, measured the same way: 7.0 MB per container",
		"(containerd-shim-runc-v2 4.0 MB, the server 3.0 MB;", "| shim | 23.0 MB | 2 | 6.0 ms |",
		"| P1 | hello start joining a running shim server (group annotation; median; see [Start-up](#start-up)) | 45 ms vs runc 100 ms |",
		"| hello-shared (`hello-shared`) | `io.containerd.spinoci.v1` | 367 B | — | — | 45 ms |",
		"| Page fault at the start of the run (first write to fresh anonymous memory, median) | 12.3 µs |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestParseCompileFloor(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkCompile/spin-go.wasm/fast-2         	       1	 797478166 ns/op	  14494136 code-bytes	 860551000 cpu-ns/op
BenchmarkCompile/js-hello.wasm/winch-2       	       1	1156111249 ns/op	  68040640 code-bytes	1158448000 cpu-ns/op
PASS
`)
	got := parseCompileFloor(out)
	want := []compileFloor{
		{app: "spin-go", setting: "fast", wall: 797478166, cpu: 860551000},
		{app: "js-hello", setting: "winch", wall: 1156111249, cpu: 1158448000},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("parsed %+v, want %+v", got, want)
	}
	runs := []compileFloor{{app: "a", wall: 3}, {app: "a", wall: 1}, {app: "a", wall: 2}}
	if m := medianFloor(runs); m.wall != 2 || runs[0].wall != 3 {
		t.Errorf("medianFloor = %+v (runs %+v), want the 2 ns run, the runs unchanged", m, runs)
	}
	r := results{compile: got}
	if f, ok := r.floorOf("js-hello", "winch"); !ok || f.wall != 1156111249 {
		t.Errorf("floorOf(js-hello, winch) = %+v, %v", f, ok)
	}
	if _, ok := r.floorOf("js-hello", "fast"); ok {
		t.Error("floorOf found a setting not measured")
	}
}

func TestMedianRun(t *testing.T) {
	runs := []wrkResult{{name: "a", rps: 300}, {name: "b", rps: 100}, {name: "c", rps: 200}}
	if got := medianRun(runs); got.name != "c" {
		t.Errorf("medianRun = %+v, want the 200 req/s run", got)
	}
	if runs[0].name != "a" {
		t.Error("medianRun reordered its argument")
	}
}

// TestP3Bound: the request floor's ratio is P3's bound, which puts the
// target out of reach when the floor itself is below it.
func TestP3Bound(t *testing.T) {
	wrks := []wrkResult{{name: "spin", rps: 40000}, {name: "native", rps: 80000}, {name: "floor", rps: 56000}}
	for _, c := range []struct {
		floor      float64
		outOfReach bool
	}{{0.7, true}, {0.85, false}, {0, false}} {
		for _, row := range rows(results{wrks: wrks, ratio: 0.5, floorRatio: c.floor}) {
			if row.ID != "P3" || row.Goal != report.AtLeast {
				continue
			}
			if row.Bound != c.floor || (c.floor > 0) != (row.BoundText == requestFloorText) {
				t.Errorf("floor %v: P3's bound %v (%q)", c.floor, row.Bound, row.BoundText)
			}
			if row.OutOfReach() != c.outOfReach {
				t.Errorf("floor %v: P3 out of reach = %v", c.floor, row.OutOfReach())
			}
		}
	}
}

// TestP3Ratio: P3 is the median of the rounds' ratios when measured, else
// the ratio of the median runs.
func TestP3Ratio(t *testing.T) {
	wrks := []wrkResult{{name: "spin", rps: 60000}, {name: "native", rps: 80000}}
	for _, c := range []struct {
		ratio, want float64
	}{{0.8, 0.8}, {0, 0.75}} {
		for _, row := range rows(results{wrks: wrks, ratio: c.ratio}) {
			if row.ID == "P3" && row.Value != c.want {
				t.Errorf("ratio %v: P3 = %v, want %v", c.ratio, row.Value, c.want)
			}
		}
	}
}

// TestPageFaultCost: the probe measures a positive cost, below what any
// machine that runs the benchmark at all takes to fault a page in.
func TestPageFaultCost(t *testing.T) {
	cost, err := pageFaultCost()
	if err != nil {
		t.Fatal(err)
	}
	if cost <= 0 || cost > time.Millisecond {
		t.Errorf("a page fault costs %v", cost)
	}
}

// TestBounds: a target whose bound, summed from costs measured in the run,
// exceeds it is reported out of reach, with the costs; one whose bound is
// below it, or that is met, is not.
func TestBounds(t *testing.T) {
	ms := millis
	w := func(key, runtime string) workload { return workload{key: key, name: key, runtime: runtime} }
	anon := func(n int64) report.Memory { return report.Memory{PSS: n, PSSAnon: n} }
	r := results{
		starts: []startResult{
			{w: w("hello", harness.RuntimeType), cached: ms(60)},
			{w: w("spin-rust", harness.RuntimeType), first: 120 * time.Millisecond},
			{w: w("js", harness.RuntimeType), first: 6 * time.Second, cached: ms(300)},
			{w: w("runc", "io.containerd.runc.v2"), cached: ms(100)},
			{w: w("floor", floorRuntime), cached: ms(40)},
		},
		execs: []execCost{
			{name: "app", runs: ms(30)},
			{name: "native", runs: ms(15), smallestGo: true},
		},
		compile: []compileFloor{
			{app: "spin-rust", setting: "winch", wall: 23 * time.Millisecond},
			{app: "js-hello", setting: "winch", wall: 1700 * time.Millisecond},
		},
		density:  []densityStep{{apps: 10, total: groupMemory{shim: anon(50e6), children: anon(40e6)}}},
		runcRef:  densityStep{apps: 10, total: groupMemory{shim: anon(40e6), children: anon(15e6)}},
		floorRef: densityStep{apps: 10, total: groupMemory{shim: anon(38e6)}},
	}
	got := rows(r)
	for _, c := range []struct {
		measure    string // what the row's Measure starts with
		outOfReach bool
		bound      float64
	}{
		{"hello start, compiled code cached", true, 0.55},    // (40 + 15) / 100 ms > 0.5×
		{"first start ever, 0.0 MB Rust module", false, 0},   // no bound: the compile floor bounds nothing
		{"first start ever, 0.0 MB JS component", false, 0},  // likewise, though its floor (1.7 s) is above the target
		{"idle PSS per app (shim + app process)", true, 5.3}, // 3.8 (the floor's server) + 1.5 MB (the native server)
		{"cached start, 0.0 MB JS component", false, 55},     // 40 + 15 ms < 100 ms: not met, not out of reach
	} {
		i := slices.IndexFunc(got, func(row report.Row) bool { return strings.HasPrefix(row.Measure, c.measure) })
		if i < 0 {
			t.Fatalf("no row %q in %+v", c.measure, got)
		}
		row := got[i]
		if row.OutOfReach() != c.outOfReach || math.Abs(row.Bound-c.bound) > 1e-9 {
			t.Errorf("%s: out of reach %v, bound %v; want %v, %v", c.measure, row.OutOfReach(), row.Bound, c.outOfReach, c.bound)
		}
	}
	md := render(r)
	for _, want := range []string{
		"| 0.60× | ≤ 0.50× | 1.20× | out of reach (≥ 0.55×) |",
		"- P1 (hello start, compiled code cached (median)): at least 0.55× against the target ≤ 0.50×, **out of reach**: the start floor (40 ms",
		"- P6 (cached start, 0.0 MB JS component (median)): at least 55.0 ms against the target ≤ 100 ms, not ruled out by this bound:",
		"one exec of a Go binary (15 ms, the smallest measured)",
		"P2 has none: its compile floor",
		"(the start floor's shim server, 3.8 MB) and of a Go process serving HTTP (the native server, 1.5 MB)",
		"| 300 ms | ≤ 100 ms | 3.00× | not met |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, "- P2 (") {
		t.Errorf("the report bounds P2 with its compile floor:\n%s", md)
	}
}

// TestMemoryBoundTakesTheLeastServer: where the apps' own servers (renewed
// once idle) hold less than the start floor's and runc's shims, P4's bound
// counts theirs.
func TestMemoryBoundTakesTheLeastServer(t *testing.T) {
	anon := func(n int64) report.Memory { return report.Memory{PSS: n, PSSAnon: n} }
	r := results{
		density:  []densityStep{{apps: 10, total: groupMemory{shim: anon(20e6), children: anon(22e6)}}},
		runcRef:  densityStep{apps: 10, total: groupMemory{shim: anon(40e6), children: anon(15e6)}},
		floorRef: densityStep{apps: 10, total: groupMemory{shim: anon(26e6)}},
	}
	bound, text := r.memoryBound()
	if math.Abs(bound-3.5) > 1e-9 || !strings.Contains(text, "the hello apps' own shim servers at 10 apps, renewed once idle, 2.0 MB") {
		t.Errorf("bound %v (%s), want 3.5 MB from the apps' own servers (2.0 MB) and the native server (1.5 MB)", bound, text)
	}
}

// TestMeasureCompileFloor: each first-start app's Winch compile is
// measured winchFloorRuns times and its median kept, beside one compile
// with Cranelift's fast tier.
func TestMeasureCompileFloor(t *testing.T) {
	var calls []string
	wall := map[string][]time.Duration{"spin-rust": millis(30, 10, 20), "spin-go": millis(300, 100, 200), "js-hello": millis(1700, 1500, 1600)}
	measure := func(app, setting string) []compileFloor {
		calls = append(calls, app+" "+setting)
		name := strings.TrimSuffix(app, ".wasm")
		w := time.Second
		if setting == "winch" {
			w, wall[name] = wall[name][0], wall[name][1:]
		}
		return []compileFloor{{app: name, setting: setting, wall: w}}
	}
	r := results{compile: measureCompileFloor(t, measure)}
	if len(calls) != 3*(winchFloorRuns+1) {
		t.Fatalf("measured %q, want %d Winch compiles and one fast-tier compile per app", calls, winchFloorRuns)
	}
	for _, want := range []compileFloor{
		{app: "spin-rust", setting: "winch", wall: 20 * time.Millisecond},
		{app: "spin-go", setting: "winch", wall: 200 * time.Millisecond},
		{app: "js-hello", setting: "winch", wall: 1600 * time.Millisecond},
		{app: "js-hello", setting: "fast", wall: time.Second},
	} {
		if got, ok := r.floorOf(want.app, want.setting); !ok || got.wall != want.wall {
			t.Errorf("floorOf(%s, %s) = %+v, %v; want wall %v", want.app, want.setting, got, ok, want.wall)
		}
	}
}
