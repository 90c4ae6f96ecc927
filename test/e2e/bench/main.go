// Command bench measures spinoci against its performance targets on this
// machine, side by side in one run, and writes docs/benchmarks.md (`make
// bench`) with the table of targets, the details and two plots next to it:
//
//   - P1: start of the Spin hello app with its compiled code cached
//     (`ctr run -d` → first HTTP 200) against a static native Go hello
//     server in a runc container, and where that time goes (container
//     create, task start, first request), the start floor (package
//     startfloor: what containerd, ctr and the shim protocol cost), the
//     same app joining a running shim server (the group annotation), and
//     what one exec of each binary a start runs costs before any work;
//   - P2: first start ever (compilation included; the median of 3) of a
//     Rust module, a Go module and the 12 MB Spin 3 http-js component, and
//     their compile floor (the compilation alone, engine/internal/capi's
//     BenchmarkCompile);
//   - P3: hello requests/s (`wrk -t2 -c50`) against the native Go server,
//     both in containers, and each server's CPU time per request, with the
//     request floor (engine/internal/requestfloor: fasthttp, the engine's
//     server for Spin 1.x apps, answering from a fresh Wasmtime instance of
//     hello) as its bound; the
//     same for the Go module and the JS component, without a target;
//   - P4: idle PSS per app (shim + app process) at several app counts up to
//     -apps, then of a few of them after metrics polling (`ctr task
//     metrics`), the same with one shim server shared by -apps apps (the
//     group annotation), and per pod under CRI (shim + pause + app);
//   - P5: an app with 20 × 10 MB static files against none: start time and
//     disk per extra replica;
//   - P6: cached start of the 12 MB JS component.
//
// Start times are measured in interleaved rounds (every workload once per
// round) so that other load on the machine skews them alike. -quick (or
// SPINOCI_BENCH_QUICK=1) is a short run for development. `make bench`
// builds the shim, the pinned tools (with containerd-shim-runc-v2) and the
// test apps first. It needs root, runc and wrk.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

type options struct {
	out      string
	runs     int           // cached starts per workload
	duration time.Duration // wrk
	apps     int           // density: most apps running at once
	pods     int           // CRI pods measured
	fileMB   int           // size of each of the 20 static files
	quick    bool
	// throughputOnly measures P3 alone and writes no report.
	throughputOnly bool
	// densityOnly measures P4's density run alone and writes no report.
	densityOnly bool
	startOnly   bool
	// firstStartOnly measures P2's first starts alone and writes no report.
	firstStartOnly bool
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "docs/benchmarks.md", "markdown file to write; the plots go next to it")
	flag.IntVar(&o.runs, "runs", 10, "cached starts per workload (after the first start)")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "wrk duration")
	flag.IntVar(&o.apps, "apps", 200, "density: the most apps running at once")
	flag.IntVar(&o.pods, "pods", 3, "CRI pods whose memory is measured")
	flag.IntVar(&o.fileMB, "file-mb", 10, "size in MB of each of the 20 static files of the P5 app")
	flag.BoolVar(&o.quick, "quick", os.Getenv("SPINOCI_BENCH_QUICK") == "1",
		"short run for development: 3 runs, wrk 2s, 10 apps, 1 pod, 1 MB files (unless set explicitly)")
	flag.BoolVar(&o.throughputOnly, "throughput-only", false, "measure P3 (wrk: hello and native, then the Rust and Go modules and the JS component) alone, log it and write no report")
	flag.BoolVar(&o.startOnly, "start-only", false, "measure P1 (hello, runc and the start floor; the hello start's phases, with the shim's own) alone, log it and write no report")
	flag.BoolVar(&o.firstStartOnly, "first-start-only", false, "measure P2 (first starts of the Rust module and the JS component, -runs rounds, with the phases of Create the shim logged) alone, log it and write no report")
	flag.BoolVar(&o.densityOnly, "density-only", false, "measure P4's idle PSS per app (up to -apps) alone, log it and write no report")
	flag.Parse()
	if o.quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, apply := range map[string]func(){
			"runs": func() { o.runs = 3 }, "duration": func() { o.duration = 2 * time.Second },
			"apps": func() { o.apps = 10 }, "pods": func() { o.pods = 1 }, "file-mb": func() { o.fileMB = 1 },
		} {
			if !set[name] {
				apply()
			}
		}
	}
	if o.runs < 3 || o.apps < 1 || o.pods < 1 || o.fileMB < 1 {
		fmt.Fprintln(os.Stderr, "bench: -runs must be at least 3, -apps, -pods and -file-mb at least 1")
		os.Exit(2)
	}
	os.Exit(harness.RunProgram("bench", func(t harness.T) { bench(t, o) }))
}
