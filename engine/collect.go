package engine

import (
	"runtime"
	"runtime/metrics"
	"time"
)

// Wasmtime frees an engine's instance pool when the last reference to the
// engine goes. After a renewal has closed the old code, garbage Go objects
// may still hold some: a core module's import resolution that a Store of
// the new code replaced, the error of a call that failed (wasmtime-go's
// traps and errors keep their backtrace, which holds the module and so its
// engine). wasmtime-go frees them in finalizers, and some only become
// garbage once another's finalizer has run, so one collection is not
// enough; and an idle app allocates nothing that would start the next.

// collectFinalized runs the collector until a cycle finds nothing more to
// finalize or clean up (at least two cycles, at most maxCollections), each
// time waiting for the finalizers and cleanups it queued to have run.
func collectFinalized() {
	const (
		maxCollections = 8
		// finalizerWait bounds the wait for one cycle's finalizers, which
		// run one after another on one goroutine.
		finalizerWait = time.Second
	)
	samples := []metrics.Sample{
		{Name: "/gc/finalizers/queued:finalizers"},
		{Name: "/gc/finalizers/executed:finalizers"},
		{Name: "/gc/cleanups/queued:cleanups"},
		{Name: "/gc/cleanups/executed:cleanups"},
	}
	// read returns how many finalizers and cleanups were ever queued, and
	// how many of them are still to run.
	read := func() (queued, pending uint64) {
		metrics.Read(samples)
		v := func(i int) uint64 { return samples[i].Value.Uint64() }
		queued = v(0) + v(2)
		return queued, queued - min(queued, v(1)+v(3))
	}
	before, _ := read()
	for cycle := range maxCollections {
		runtime.GC()
		queued, pending := read()
		for deadline := time.Now().Add(finalizerWait); pending > 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
			_, pending = read()
		}
		if cycle > 0 && queued == before {
			return
		}
		before = queued
	}
}
