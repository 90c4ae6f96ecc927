package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spinoci/spinoci/test/e2e/bench/report"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// The plots, written next to the markdown file.
const (
	startPlotFile   = "benchmarks-start.svg"
	densityPlotFile = "benchmarks-density.svg"
)

// The targets.
const (
	targetHelloVsRunc   = 0.5   // P1: × runc
	targetModuleVsRunc  = 1.5   // P2: first start × runc
	targetJSFirstSec    = 1.5   // P2: seconds
	targetRPSVsNative   = 0.75  // P3: × native Go
	targetPSSPerAppMB   = 5     // P4: MB
	targetFilesDeltaMS  = 20    // P5: ms
	targetReplicaDiskMB = 1     // P5: MB
	targetJSCachedMS    = 100.0 // P6: ms
)

// writeReport draws the plots next to out and writes the markdown.
func writeReport(out string, r results) error {
	dir := filepath.Dir(out)
	var series []report.StartSeries
	for _, s := range r.starts {
		name := "spinoci: " + s.w.key
		if s.w.runtime != harness.RuntimeType {
			name = s.w.key + ": native Go"
		}
		series = append(series, report.StartSeries{Name: name, Cached: report.Millis(s.cached), First: float64(s.first) / 1e6})
	}
	if err := report.WriteStartPlot(filepath.Join(dir, startPlotFile), series); err != nil {
		return err
	}
	var points []report.DensityPoint
	for _, s := range r.density {
		total, shim, app := s.perApp()
		points = append(points, report.DensityPoint{Apps: s.apps, PerApp: float64(total.PSS), Shim: float64(shim.PSS), AppProc: float64(app.PSS)})
	}
	if err := report.WriteDensityPlot(filepath.Join(dir, densityPlotFile), points, targetPSSPerAppMB*1e6); err != nil {
		return err
	}
	return harness.WriteMarkdownSections(out, render(r))
}

// startOf finds the start times of the workload with key.
func (r results) startOf(key string) startResult {
	for _, s := range r.starts {
		if s.w.key == key {
			return s
		}
	}
	return startResult{}
}

func median(ds []time.Duration) float64 { return report.Summarize(report.Millis(ds)).Median }

// rows compares the measurements with the targets.
func rows(r results) []report.Row {
	hello, runc, spinGo, spinRust := r.startOf("hello"), r.startOf("runc"), r.startOf("spin-go"), r.startOf("spin-rust")
	js, files, floor := r.startOf("js"), r.startOf("files"), r.startOf("floor")
	runcMS := median(runc.cached)
	ms := report.FormatMillis
	n := r.o.runs
	startMS, startWhy := r.startBound()
	out := []report.Row{
		withBound(report.Row{ID: "P1", Measure: "hello start, compiled code cached (median)", Unit: "×", Goal: report.AtMost, Target: targetHelloVsRunc,
			Value:    median(hello.cached) / runcMS,
			Measured: fmt.Sprintf("spinoci %s vs runc %s (medians of %d)", ms(median(hello.cached)), ms(runcMS), n)}, startMS/runcMS, startWhy),
		{ID: "P1", Measure: "start floor: containerd, ctr and the shim protocol alone (median; see [Start-up](#start-up))",
			Unit: "× runc", Goal: report.NoTarget, Value: median(floor.cached) / runcMS,
			Measured: fmt.Sprintf("%s vs runc %s", ms(median(floor.cached)), ms(runcMS))},
		{ID: "P2", Measure: fmt.Sprintf("first start ever, %.1f MB Rust module (compile included)", float64(spinRust.w.size)/1e6),
			Unit: "× runc", Goal: report.AtMost, Target: targetModuleVsRunc, Value: float64(spinRust.first) / 1e6 / runcMS,
			Measured: fmt.Sprintf("%s (median of %d) vs runc %s", ms(float64(spinRust.first)/1e6), len(spinRust.firsts), ms(runcMS))},
		{ID: "P2", Measure: fmt.Sprintf("first start ever, %.1f MB Go module (compile included; the issue's target names the Rust module)", float64(spinGo.w.size)/1e6),
			Unit: "× runc", Goal: report.NoTarget, Value: float64(spinGo.first) / 1e6 / runcMS,
			Measured: fmt.Sprintf("%s (median of %d) vs runc %s", ms(float64(spinGo.first)/1e6), len(spinGo.firsts), ms(runcMS))},
		{ID: "P2", Measure: fmt.Sprintf("first start ever, %.1f MB JS component (compile included)", float64(js.w.size)/1e6),
			Unit: " s", Goal: report.AtMost, Target: targetJSFirstSec, Value: js.first.Seconds(),
			Measured: fmt.Sprintf("%s (median of %d)", ms(float64(js.first)/1e6), len(js.firsts))},
	}
	if shared := r.startOf("hello-shared"); len(shared.cached) > 0 {
		out = slices.Insert(out, 2, report.Row{ID: "P1",
			Measure: "hello start joining a running shim server (group annotation; median; see [Start-up](#start-up))",
			Unit:    "× runc", Goal: report.NoTarget, Value: median(shared.cached) / runcMS,
			Measured: fmt.Sprintf("%s vs runc %s", ms(median(shared.cached)), ms(runcMS))})
	}
	for _, app := range []struct{ key, name string }{{"spin-rust", "Rust module"}, {"spin-go", "Go module"}, {"js-hello", "JS component"}} {
		// The fast tier is Winch's; Cranelift's fast tier is the fallback
		// where Winch cannot be selected.
		w, ok := r.floorOf(app.key, "winch")
		if !ok {
			continue
		}
		measured := fmt.Sprintf("CPU %s (all threads); see [Start-up](#start-up)", ms(float64(w.cpu)/1e6))
		if fast, ok := r.floorOf(app.key, "fast"); ok {
			measured = fmt.Sprintf("CPU %s (all threads); Cranelift's fast tier: %s, CPU %s", ms(float64(w.cpu)/1e6), ms(float64(fast.wall)/1e6), ms(float64(fast.cpu)/1e6))
		}
		out = append(out, report.Row{ID: "P2", Measure: "compile floor: the " + app.name + " compiled alone, fast tier: Winch (wall)",
			Unit: " ms", Goal: report.NoTarget, Value: float64(w.wall) / 1e6, Measured: measured})
	}
	if len(r.wrks) >= 2 {
		row := report.Row{ID: "P3", Measure: fmt.Sprintf("hello req/s (wrk %s %s)", wrkThreads, wrkConnections),
			Unit: "×", Goal: report.AtLeast, Target: targetRPSVsNative,
			Measured: fmt.Sprintf("%.0f vs native Go %.0f", r.wrks[0].rps, r.wrks[1].rps)}
		switch {
		case r.ratio > 0:
			row.Value = r.ratio
		case r.wrks[0].rps > 0 && r.wrks[1].rps > 0:
			row.Value = r.wrks[0].rps / r.wrks[1].rps
		default:
			row.Missing = "wrk reported no requests/s (see [Throughput](#throughput))"
		}
		if r.floorRatio > 0 {
			row = withBound(row, r.floorRatio, requestFloorText)
		}
		out = append(out, row)
	}
	for _, g := range r.guests {
		out = append(out, report.Row{ID: "P3", Measure: fmt.Sprintf("%s req/s (wrk %s %s; the issue's target names hello)", g.name, wrkThreads, wrkConnections),
			Unit: " req/s", Goal: report.NoTarget, Value: g.rps,
			Measured: "median of " + strconv.Itoa(guestRounds) + "; server CPU " + micros(g.cpuPerRequest) + " per request"})
	}
	if len(r.density) > 0 {
		last := r.density[len(r.density)-1]
		total, shim, app := last.perApp()
		memMB, memWhy := r.memoryBound()
		out = append(out, withBound(report.Row{ID: "P4", Measure: fmt.Sprintf("idle PSS per app (shim + app process), %d apps", last.apps),
			Unit: " MB", Goal: report.AtMost, Target: targetPSSPerAppMB, Value: float64(total.PSS) / 1e6,
			Measured: fmt.Sprintf("shim %s + app %s", report.FormatMB(float64(shim.PSS)), report.FormatMB(float64(app.PSS)))}, memMB, memWhy))
	}
	if p := r.polled; p.after.apps > 0 && len(r.density) > 0 {
		before, _, _ := p.before.perApp()
		total, shim, app := p.after.perApp()
		out = append(out, report.Row{ID: "P4", Measure: fmt.Sprintf("idle PSS per app after metrics polling: %d of the %d apps, %d × `ctr task metrics` each (the shim's Stats)",
			p.after.apps, r.density[len(r.density)-1].apps, p.polls),
			Unit: " MB", Goal: report.NoTarget, Value: float64(total.PSS) / 1e6,
			Measured: fmt.Sprintf("shim %s + app %s; %s before", report.FormatMB(float64(shim.PSS)), report.FormatMB(float64(app.PSS)),
				report.FormatMB(float64(before.PSS)))})
	}
	if r.shared.apps > 0 {
		total, shim, app := r.shared.perApp()
		out = append(out, report.Row{ID: "P4", Measure: fmt.Sprintf("idle PSS per app, %d apps sharing one shim server (group annotation; see [Memory](#memory))", r.shared.apps),
			Unit: " MB", Goal: report.NoTarget, Value: float64(total.PSS) / 1e6,
			Measured: fmt.Sprintf("shim %s + app %s", report.FormatMB(float64(shim.PSS)), report.FormatMB(float64(app.PSS)))})
	}
	for _, pods := range []struct {
		ms      []podMemory
		sharing string
	}{{r.pods, ""}, {r.sharedPods, " sharing one shim server (group annotation)"}} {
		if len(pods.ms) == 0 {
			continue
		}
		var sum report.Memory
		for _, p := range pods.ms {
			sum = sum.Add(p.total())
		}
		out = append(out, report.Row{ID: "P4", Measure: fmt.Sprintf("idle PSS per CRI pod (shim + pause + app), %d pods%s", len(pods.ms), pods.sharing),
			Unit: " MB", Goal: report.NoTarget, Value: float64(sum.PSS) / float64(len(pods.ms)) / 1e6,
			Measured: "mean; see [Memory](#memory)"})
	}
	mb := float64(r.ws.filesBytes) / 1e6
	out = append(out,
		report.Row{ID: "P5", Measure: fmt.Sprintf("start with %.0f MB of static files vs none (medians)", mb),
			Unit: " ms", Goal: report.AtMost, Target: targetFilesDeltaMS, Value: median(files.cached) - median(hello.cached),
			Measured: fmt.Sprintf("%s vs %s", ms(median(files.cached)), ms(median(hello.cached)))},
		report.Row{ID: "P5", Measure: fmt.Sprintf("disk per extra replica (%.0f MB of static files)", mb),
			Unit: " MB", Goal: report.AtMost, Target: targetReplicaDiskMB, Value: float64(r.disk.two-r.disk.one) / 1e6,
			Measured: fmt.Sprintf("du of containerd's root + state: %s with one replica, %s with two",
				report.FormatMB(float64(r.disk.one)), report.FormatMB(float64(r.disk.two)))},
		withBound(report.Row{ID: "P6", Measure: fmt.Sprintf("cached start, %.1f MB JS component (median)", float64(js.w.size)/1e6),
			Unit: " ms", Goal: report.AtMost, Target: targetJSCachedMS, Value: median(js.cached),
			Measured: fmt.Sprintf("median of %d", n)}, startMS, startWhy),
	)
	return out
}

// render is the markdown of one run.
func render(r results) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Benchmarks")
	p("")
	p("Written by `make bench` (`go run ./test/e2e/bench`) on %s in %v%s. Everything runs on one machine:",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), r.elapsed.Round(time.Second), map[bool]string{true: " (**-quick**: a short run for development)"}[r.o.quick])
	p("containerd, the shims, the servers and the load generator share its cores, and other work on it skews the")
	p("figures; the numbers that hold the targets are those of a run on a quiet machine.")
	p("")
	p("## Targets")
	p("")
	targets := rows(r)
	b.WriteString(report.Table(targets))
	p("")
	if bounds := report.Bounds(targets); bounds != "" {
		p("Bounds: the least a measure could be, summed from costs measured in this same run that any shim of this design")
		p("pays (a shim server and an app process per container, started through containerd's shim protocol; the app")
		p("compiled by Wasmtime), and for P3, whose target is a floor, the most it could be: what a server doing only")
		p("Wasmtime's part of each request served in the same rounds. A target beyond its bound is out of reach in this")
		p("run. P2 has none: its compile floor")
		p("(the first-start apps compiled alone, in [Start-up](#start-up)) can come out above the compile stages of the")
		p("first starts it would bound, even measured right before them (containerd's log, `compile_stage`), so it bounds")
		p("nothing.")
		p("")
		b.WriteString(bounds)
		p("")
	}
	p("P2's module is the Rust test app `spin-rust`: a Spin 1.x module in plain Rust std (no crates), built for wasm32-wasi")
	p("by rustc at opt-level 3 and not stripped, as `cargo build --release` leaves it, so most of its size is std's debug")
	p("info in custom sections, which compiling skips. The Go (wasip1) test app `spin-go` is measured beside it: Go's")
	p("wasm output is far heavier to compile. The JS component is `%s`, the Spin 3 http-js template; all are built from", jsApp)
	p("source by `make testapps`.")
	p("")
	p("## Machine")
	p("")
	p("| | |")
	p("|---|---|")
	for _, kv := range append(machine(r.version), pageFaultRow(r.pageFault)...) {
		p("| %s | %s |", kv[0], kv[1])
	}
	p("")
	renderStarts(p, r)
	renderThroughput(p, r)
	renderMemory(p, r)
	renderFiles(p, r)
	return b.String()
}

func renderStarts(p func(string, ...any), r results) {
	ms := report.FormatMillis
	p("## Start-up")
	p("")
	p("Each start: `ctr run -d --net-host --runtime <runtime> --log-uri file://… <ref> <id>`, then GET every 5 ms until a 200;")
	p("the time is from starting ctr to that 200. Then SIGTERM, `ctr task rm`, `ctr container rm`. Each image is pulled")
	p("just before its first start, into a containerd with an empty compiled-module cache of its own: the first start of each Wasm app compiles")
	p("it (Wasmtime, Winch), the later ones load the cached compilation. Every workload makes %d first starts, in rounds;", firstStartRounds)
	p("before each round but the first the compiled code and the shim's file store are removed (the images stay pulled), so")
	p("that each is a first start on the node again; *first* is their median. Then %d rounds start every", r.o.runs)
	p("workload once each, so that load on the machine touches them alike. `js2`'s first start compiles `%s` only:", jsSecondApp)
	p("`%s` was compiled by the first start of `js` just before.", jsApp)
	p("")
	p("A first start waits for fast code (Winch); the optimised code (Cranelift) is compiled after it, in the background,")
	p("and the app moves to it once it is cached; a shim server whose container has gone keeps running until then. Before")
	p("each first start, such servers of earlier starts are stopped (with their compile stages), so that each first start has")
	p("the machine to itself, as on a node where nothing else compiles. Before the rounds, each Wasm app runs once until its")
	p("optimised code is cached (the column *optimised*: from `ctr run` to the optimised code cached), so that the cached")
	p("starts load the optimised code, as starts do on a node where the app has run before, and no compile stage of an")
	p("earlier start competes with them.")
	p("")
	p("`floor` is the start floor: `containerd-shim-startfloor-v1` is spinoci's own shim binary (the start action) and")
	p("a shim server process (test/e2e/bench/startfloor), which on Start serves the 200 itself: no image read, no app directory, no")
	p("process, no sandbox. Its start is what containerd, ctr and the shim protocol (the start action, the server's exec,")
	p("ttrpc) cost whatever a shim does. With one exec of the smallest Go binary after it (the app process, below) it")
	p("bounds P1 and P6 from below; where that bound exceeds a target, [Targets](#targets) says the target is out of reach.")
	p("")
	if len(r.startOf("hello-shared").cached) > 0 {
		p("`hello-shared` is the hello app in a server group (`%s`), started while another", harness.GroupAnnotation)
		p("app of that group runs, as on a node whose runtime handler names a group (deploy/): each start joins the running")
		p("shim server instead of starting one, so its start action replies at once and the server's exec and start are")
		p("not part of it. It makes no first starts (the app's code is that of `hello`).")
		p("")
	}
	if len(r.compile) > 0 {
		p("A first start compiles the app with the fast tier: Winch, Wasmtime's baseline compiler (the pinned C API")
		p("cannot select it; the engine sets its strategy itself after checking the library's layout). P2's compile floor")
		p("rows are that compilation alone, each in a new process as a compile stage is (Winch's: the median of %d), with", winchFloorRuns)
		p("the malloc settings of a first start's compile stage (README, \"Compiled code\"), beside Cranelift's fast tier")
		p("(no optimisation, single-pass register allocation), the fallback where Winch cannot be selected (`make")
		p("bench-compile` compares every setting). The optimised code")
		p("is compiled after the first start, in the background, and the app moves to it once it is cached.")
		p("")
	}
	p("| Workload | Runtime | Size | First start | Optimised | Median | P25 | P75 | Min | Max |")
	p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range r.starts {
		sum := report.Summarize(report.Millis(s.cached))
		first, optimised := "—", "—"
		if s.first > 0 {
			first = ms(float64(s.first) / 1e6)
		}
		if s.optimised > 0 {
			optimised = ms(float64(s.optimised) / 1e6)
		}
		p("| %s (`%s`) | `%s` | %s | %s | %s | %s | %s | %s | %s | %s |", s.w.name, s.w.key, s.w.runtime, report.FormatSize(s.w.size),
			first, optimised, ms(sum.Median), ms(sum.P25), ms(sum.P75), ms(sum.Min), ms(sum.Max))
	}
	p("")
	p("![Start time per workload: box of the cached starts, cross at the first start](%s)", startPlotFile)
	p("")
	if len(r.phases) > 0 {
		p("Where the time goes: the same start in three steps, each timed (medians of %d, cached code): `ctr container", r.o.runs)
		p("create …`, `ctr task start -d …` (the shim starts, Create and Start), then from its return to the first 200.")
		p("")
		p("| Workload | container create | task start | to the first 200 | sum |")
		p("|---|---:|---:|---:|---:|")
		for _, ph := range r.phases {
			c, s, l := median(ph.create), median(ph.start), median(ph.listen)
			p("| %s (`%s`) | %s | %s | %s | %s |", ph.w.name, ph.w.key, ms(c), ms(s), ms(l), ms(c+s+l))
		}
		p("")
	}
	renderExecCosts(p, r.execs)
}

func renderThroughput(p func(string, ...any), r results) {
	p("## Throughput")
	p("")
	p("`wrk %s %s -d%v --latency` after a 1 s warm-up. The Spin hello app runs under the shim (a fresh instance per", wrkThreads, wrkConnections, r.o.duration)
	p("request), the native server (the static Go binary of the runc workload) under runc: both `ctr run -d --net-host`,")
	p("listening on 127.0.0.1, each in a cgroup of its own, so that both get the same share of the CPU that wrk also uses.")
	p("Both run side by side and are measured %d times each, in turn; the table shows each one's median run, and P3 is the", wrkRounds)
	p("median of the rounds' ratios (each round runs both back to back; here %.2f×). Server CPU is the user + system time", r.ratio)
	p("of the server's processes (the app process; runc's container process) per request of that run.")
	p("")
	p("P3's bound runs beside them in the same rounds (%.2f× native here): %s.", r.floorRatio, requestFloorText)
	p("")
	wrkTable(p, r.wrks)
	if len(r.guests) == 0 {
		return
	}
	p("Guests heavier than hello, each alone under the shim on its optimised code, median of %d runs: most of their", guestRounds)
	p("cost per request is the guest's own (a Go module starts its runtime, a JS component its engine, in every fresh")
	p("instance) and the pages of its memory it writes, which the instance pool resets in place for the next instance.")
	p("")
	wrkTable(p, r.guests)
	p("Each used pool slot keeps its reset memory, so the app process ends the runs with the memory of %s concurrent", strings.TrimPrefix(wrkConnections, "-c"))
	p("instances; once idle (`SPINOCI_POOL_RENEW_IDLE=%v` here, 30 s by default) its pools are renewed and give it back.", guestPoolRenewIdle)
	p("PSS of the app process:")
	p("")
	p("| Guest | after the runs | %v later |", guestIdle)
	p("|---|---:|---:|")
	mb := func(n int64) string { return report.FormatMB(float64(n)) }
	for _, g := range r.guests {
		p("| %s | %s | %s |", g.name, mb(g.busy.PSS), mb(g.idle.PSS))
	}
	p("")
}

// requestFloorText says what P3's bound is.
const requestFloorText = "the request floor (`engine/internal/requestfloor`): fasthttp, as the engine's front serves apps of " +
	"Spin 1.x modules, answering each request from a fresh Wasmtime instance of hello (a new Store, the module " +
	"instantiated from the engine's instance pool, `handle-http-request` called, its body copied out: one cgo call), in " +
	"runc like the native server, measured in the same rounds; it skips what a Spin host does besides (the request's URI " +
	"and headers written into the guest, freeing what it returned, host state) and its pool resets in place only the " +
	"first 4 KiB of each memory (the page hello writes, as the engine's fitted reset does), so no Go host running hello " +
	"afresh per request on that server serves more"

// wrkTable writes a table of wrk runs.
func wrkTable(p func(string, ...any), runs []wrkResult) {
	p("| Server | Requests/s | Server CPU per request | Avg latency | p50 | p99 | Requests | Errors |")
	p("|---|---:|---:|---:|---:|---:|---:|---|")
	for _, w := range runs {
		errs := w.errs
		if errs == "" {
			errs = "none"
		}
		p("| %s | %.0f | %s | %s | %s | %s | %s | %s |", w.name, w.rps, micros(w.cpuPerRequest), w.avg, w.p50, w.p99, w.requests, errs)
	}
	p("")
}

func renderMemory(p func(string, ...any), r results) {
	mb := func(n int64) string { return report.FormatMB(float64(n)) }
	p("## Memory")
	p("")
	p("Idle proportional set size (PSS, from `/proc/<pid>/smaps_rollup`: shared pages are split between the processes")
	p("mapping them, so the PSS of many apps adds up to what they use together). The hello app is started again and again")
	p("with `ctr run -d` (each answers its first request); at each count, after %v idle, every shim server and the", idleSettle)
	p("processes under it (the app process) are read.")
	p("")
	p("| Apps running | PSS per app | shim | app process | anonymous | RSS per app | start of the last app |")
	p("|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range r.density {
		total, shim, app := s.perApp()
		p("| %d | %s | %s | %s | %s | %s | %s |", s.apps, mb(total.PSS), mb(shim.PSS), mb(app.PSS), mb(total.PSSAnon), mb(total.RSS),
			report.FormatMillis(float64(s.lastStart)/1e6))
	}
	p("")
	p("![PSS per app against the number of apps running](%s)", densityPlotFile)
	p("")
	if pm := r.polled; pm.after.apps > 0 {
		before, _, _ := pm.before.perApp()
		after, shim, _ := pm.after.perApp()
		p("Then %d of them are polled for their metrics as a collector polls them (CRI's container stats, `ctr task", pm.after.apps)
		p("metrics`: a Stats request to the shim server, which reads the cgroup), %d times each in turn; %v after the last", pm.polls, idleSettle)
		p("poll they take %s per app (the shim server %s), against %s before.", mb(after.PSS), mb(shim.PSS), mb(before.PSS))
		p("")
	}
	if r.runcRef.apps > 0 {
		total, shim, server := r.runcRef.perApp()
		p("For comparison, %d runc containers of the native Go hello server, measured the same way: %s per container", r.runcRef.apps, mb(total.PSS))
		p("(containerd-shim-runc-v2 %s, the server %s; anonymous %s).", mb(shim.PSS), mb(server.PSS), mb(total.PSSAnon))
		p("")
	}
	if r.floorRef.apps > 0 {
		total, _, _ := r.floorRef.perApp()
		p("%d start floor shims (`containerd-shim-startfloor-v1`: spinoci's start action and a shim server on spinoci's", r.floorRef.apps)
		p("server runtime that serves the 200 itself, with no app process), measured the same way: %s per shim server", mb(total.PSS))
		p("(anonymous %s): the part of P4's measure a Go shim server holds whatever it does, beside the app process's own", mb(total.PSSAnon))
		p("floor (the Go runtime and Wasmtime).")
		p("")
	}
	if r.shared.apps > 0 {
		total, shim, app := r.shared.perApp()
		p("With one shim server for all of them (`--annotation %s=<name>`: containers with the same value share a", harness.GroupAnnotation)
		p("server; each keeps its own app process, cgroup, pid and exit status), %d hello apps take %s per app", r.shared.apps, mb(total.PSS))
		p("(the server %s, the app process %s; anonymous %s).", mb(shim.PSS), mb(app.PSS), mb(total.PSSAnon))
		p("")
	}
	p("Under CRI (`crictl runp` of a host-network pod, then one hello container in it; containerd's CRI plugin, one shim")
	p("server per pod): PSS of the pod's shim server, its pause process and the app process. Then as many pods")
	p("annotated `%s=bench`, which the runtime passes on from pods (`pod_annotations`): they share one", harness.GroupAnnotation)
	p("shim server, of which each pod's share is counted.")
	p("")
	p("| Pod | Shim server | PSS | shim | pause | app process | anonymous |")
	p("|---:|---|---:|---:|---:|---:|---:|")
	for _, pods := range []struct {
		ms     []podMemory
		server string
	}{{r.pods, "its own"}, {r.sharedPods, "shared"}} {
		for i, m := range pods.ms {
			p("| %d | %s | %s | %s | %s | %s | %s |", i+1, pods.server, mb(m.total().PSS), mb(m.shim.PSS), mb(m.pause.PSS), mb(m.app.PSS), mb(m.total().PSSAnon))
		}
	}
	p("")
}

func renderFiles(p func(string, ...any), r results) {
	mb := func(n int64) string { return report.FormatMB(float64(n)) }
	p("## Static files")
	p("")
	p("The `files` workload is the hello app with %d files of %d MB of pseudo-random bytes (one data layer each, %s in",
		staticFiles, r.o.fileMB, mb(r.ws.filesBytes))
	p("all) mounted at `/`, built by the benchmark. Its start time is in [Start-up](#start-up). Disk: the space allocated")
	p("under containerd's root and state directories (content store, snapshots, the shim's app directories and state;")
	p("each inode once, as du counts) with the app not running, one replica running, and two.")
	p("")
	p("| Replicas | Disk | Added |")
	p("|---:|---:|---:|")
	p("| 0 | %s | |", mb(r.disk.none))
	p("| 1 | %s | %s |", mb(r.disk.one), mb(r.disk.one-r.disk.none))
	p("| 2 | %s | %s |", mb(r.disk.two), mb(r.disk.two-r.disk.one))
}
