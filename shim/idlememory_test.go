package shim

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestIdleMemoryReleasesOnceAfterABurst: starts in quick succession release
// memory once, a delay after the last; a later start releases again.
func TestIdleMemoryReleasesOnceAfterABurst(t *testing.T) {
	var releases atomic.Int32
	// The burst takes ~50 ms: well within the delay even on a loaded machine.
	m := &idleMemory{delay: time.Second, release: func() { releases.Add(1) }}
	for range 5 {
		m.started()
		time.Sleep(10 * time.Millisecond)
	}
	if n := releases.Load(); n != 0 {
		t.Fatalf("released %d times during the burst", n)
	}
	waitFor(t, func() bool { return releases.Load() == 1 })
	time.Sleep(1500 * time.Millisecond)
	if n := releases.Load(); n != 1 {
		t.Fatalf("released %d times after one burst, want 1", n)
	}
	m.started()
	waitFor(t, func() bool { return releases.Load() == 2 })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
