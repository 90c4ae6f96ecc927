// Package cpubench reports a benchmark's CPU time per op: user and system
// time of the whole process (every thread), which other load on the
// machine skews less than wall time. Only benchmarks import it.
package cpubench

import (
	"syscall"
	"testing"
	"time"
)

// Start begins counting; the function it returns reports the CPU time used
// since, per op, as the metric cpu-ns/op.
func Start(b *testing.B) (report func()) {
	b.Helper()
	cpu0 := processCPU(b)
	return func() { b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op") }
}

// processCPU is the user+system CPU time the process has used.
func processCPU(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
