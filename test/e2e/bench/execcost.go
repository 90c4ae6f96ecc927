package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spinoci/spinoci/test/e2e/bench/report"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// execCostRuns is how many times each binary is run for its exec cost.
const execCostRuns = 20

// execCost is what one exec of a binary a start runs costs before it does
// anything: the time from exec to exit when it is asked only for its usage
// or version (the dynamic loader, the Go runtime, package initialisation).
type execCost struct {
	name     string
	path     string
	args     []string
	perStart string // how many times a start runs it
	// failing says that the run exits 1 by design (the start action, run
	// where there is no bundle, fails once it has read its input).
	failing bool
	// smallestGo marks the smallest Go binary measured: no Go process a
	// start runs can exec for less.
	smallestGo bool
	size       int64
	runs       []time.Duration
}

// measureExecCosts times execCostRuns execs of each binary a start of the
// hello app and of the runc container runs, and of the native Go server
// (static, net/http only) for reference, in interleaved rounds.
func measureExecCosts(t harness.T, paths harness.Paths, runcShim, native string) []execCost {
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Fatalf("%v", err)
	}
	costs := []execCost{
		{name: "spinoci's shim binary (`start`, no bundle)", path: paths.Shim, args: []string{"start"}, perStart: "1: start action", failing: true},
		{name: "spinoci's server binary (`-h`)", path: paths.Shim + "-server", args: []string{"-h"}, perStart: "1: shim server"},
		{name: "spinoci's app binary (`-h`)", path: paths.Shim + "-app", args: []string{"-h"}, perStart: "1 (a first start: 2, then the optimising stage)"},
		{name: "containerd-shim-runc-v2 (`-v`)", path: runcShim, args: []string{"-v"}, perStart: "2: start action, shim server"},
		{name: "runc (`--version`)", path: runc, args: []string{"--version"}, perStart: "3: `runc create`, its `runc init`, `runc start`"},
		{name: "the native Go server (`-h`)", path: native, args: []string{"-h"}, perStart: "— (the floor of a Go binary)", smallestGo: true},
	}
	for i := range costs {
		st, err := os.Stat(costs[i].path)
		if err != nil {
			t.Fatalf("exec cost: %v", err)
		}
		costs[i].size = st.Size()
	}
	for range execCostRuns {
		for i := range costs {
			c := &costs[i]
			cmd := exec.Command(c.path, c.args...)
			cmd.Dir = os.TempDir() // no config.json: a start action ends there
			start := time.Now()
			// A usage request may exit 2 (flag.ExitOnError's status).
			if err := cmd.Run(); err != nil && !usageExit(err) && !(c.failing && exitStatus(err) == 1) {
				t.Fatalf("exec cost: %s %v: %v", filepath.Base(c.path), c.args, err)
			}
			c.runs = append(c.runs, time.Since(start))
		}
	}
	for _, c := range costs {
		t.Logf("   %-40s %8s  exec to exit %s (median of %d)", c.name, report.FormatSize(c.size),
			report.FormatMillis(median(c.runs)), execCostRuns)
	}
	return costs
}

// goExecFloor is the median exec cost of the smallest Go binary measured,
// in milliseconds (false: not measured).
func goExecFloor(costs []execCost) (float64, bool) {
	for _, c := range costs {
		if c.smallestGo && len(c.runs) > 0 {
			return median(c.runs), true
		}
	}
	return 0, false
}

// renderExecCosts writes the exec cost table of the Start-up section.
func renderExecCosts(p func(string, ...any), costs []execCost) {
	if len(costs) == 0 {
		return
	}
	p("What each exec costs before any work: every binary a start runs, asked only for its usage or version, from exec to")
	p("exit (medians of %d, in rounds). spinoci's start runs its shim binary (the start action), its server binary and the app", execCostRuns)
	p("binary once each, runc's its shim twice and runc three times; the native Go server (static, net/http only) is the floor of a Go binary.")
	p("")
	p("| Binary | Size | Runs per start | Exec to exit |")
	p("|---|---:|---|---:|")
	for _, c := range costs {
		p("| %s | %s | %s | %s |", c.name, report.FormatSize(c.size), c.perStart, report.FormatMillis(median(c.runs)))
	}
	p("")
}

// exitStatus is the status of a process that exited with err (-1: it did
// not exit on its own).
func exitStatus(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	return -1
}

// usageExit tells whether err is an exit with status 2, which is how Go's
// flag package ends a usage request in some programs.
func usageExit(err error) bool { return exitStatus(err) == 2 }
