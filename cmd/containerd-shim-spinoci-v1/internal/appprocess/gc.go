package appprocess

import "runtime/debug"

// servingGCPercent is the Go GC percent of an app process once it serves.
// A fresh instance per request leaves little live heap (~1 MB), so at Go's
// default (100) the collector runs whenever ~3 MB more have been allocated:
// ~35 times a second for a hello app under load, each cycle stopping the
// world on a machine whose cores the clients share. At 400 it runs a
// quarter as often (hello under wrk: ~15% more requests/s, ~3 µs less CPU
// per request); the price is heap headroom after a burst of requests (the
// heap goal is 16 MB instead of 4 MB until the next collection, at most two
// minutes later when idle). An idle app, which allocates nothing, keeps its
// memory.
const servingGCPercent = 400

// gcPercentEnv is Go's own GC variable: set in the container's environment
// (the app process's), it wins over servingGCPercent.
const gcPercentEnv = "GOGC"

// tuneGCForServing raises the GC percent to servingGCPercent unless the
// environment sets GOGC. It is called once the app is loaded: loading runs
// at the default, so what it leaves behind stays within the default's heap
// goal.
func tuneGCForServing(getenv func(string) string) {
	if getenv(gcPercentEnv) != "" {
		return
	}
	debug.SetGCPercent(servingGCPercent)
}
