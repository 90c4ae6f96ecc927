package main

import (
	"fmt"

	"github.com/spinoci/spinoci/test/e2e/bench/report"
)

// Lower bounds of the targets' measures: sums of costs measured in the same
// run that any shim of spinoci's design pays. Where a bound exceeds its
// target, the target is out of reach in that run (report.Row.Bound), and
// the report says so with the measurements.

// startBound is the least a start can take whose app process Create
// starts, in milliseconds: the start floor (containerd, ctr, a shim's start
// action, server and protocol), then one exec of a Go binary. "" if either
// was not measured.
func (r results) startBound() (float64, string) {
	floor := r.startOf("floor")
	exec, ok := goExecFloor(r.execs)
	if len(floor.cached) == 0 || !ok {
		return 0, ""
	}
	f := median(floor.cached)
	return f + exec, fmt.Sprintf("the start floor (%s: containerd, ctr, a shim's start action, server and protocol) and, "+
		"after it, one exec of a Go binary (%s, the smallest measured) for the app process, which Create starts in the "+
		"container's sandbox", report.FormatMillis(f), report.FormatMillis(exec))
}

// memoryBound is the least idle PSS, in MB, of an app with a shim server
// and an app process of its own: the anonymous memory of a Go shim server
// (the least of the start floor's server, containerd-shim-runc-v2 and the
// measured apps' own servers, which renew themselves once idle) and
// of a Go process serving HTTP (the native server under runc), which is
// each process's own whatever the number of apps. "" if the runc reference
// containers were not measured.
func (r results) memoryBound() (float64, string) {
	if r.runcRef.apps == 0 {
		return 0, ""
	}
	_, shim, server := r.runcRef.perApp()
	shimAnon, which := shim.PSSAnon, "containerd-shim-runc-v2"
	if r.floorRef.apps > 0 {
		if _, floor, _ := r.floorRef.perApp(); floor.PSSAnon < shimAnon {
			shimAnon, which = floor.PSSAnon, "the start floor's shim server"
		}
	}
	if n := len(r.density); n > 0 {
		last := r.density[n-1]
		if _, own, _ := last.perApp(); own.PSSAnon > 0 && own.PSSAnon < shimAnon {
			shimAnon, which = own.PSSAnon, fmt.Sprintf("the hello apps' own shim servers at %d apps, renewed once idle", last.apps)
		}
	}
	mb := func(n int64) string { return report.FormatMB(float64(n)) }
	return float64(shimAnon+server.PSSAnon) / 1e6, fmt.Sprintf("the anonymous memory of a Go shim server (%s, %s) and of "+
		"a Go process serving HTTP (the native server, %s), each process's own however many apps run",
		which, mb(shimAnon), mb(server.PSSAnon))
}

// withBound returns row with its bound.
func withBound(row report.Row, bound float64, text string) report.Row {
	row.Bound, row.BoundText = bound, text
	return row
}
