package shim

import (
	"sync/atomic"
	"testing"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
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
	waitFor(t, "one release after the burst", func() bool { return releases.Load() == 1 })
	time.Sleep(1500 * time.Millisecond)
	if n := releases.Load(); n != 1 {
		t.Fatalf("released %d times after one burst, want 1", n)
	}
	m.started()
	waitFor(t, "a release after a later start", func() bool { return releases.Load() == 2 })
}

// TestStartReleasesIdleMemory: a task's Start arms the release.
func TestStartReleasesIdleMemory(t *testing.T) {
	h := newTaskHarness(t)
	var releases atomic.Int32
	h.svc.idleMemory = &idleMemory{delay: 10 * time.Millisecond, release: func() { releases.Add(1) }}
	if _, err := h.create("c1", h.bundle(nil)); err != nil {
		t.Fatalf("Create: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := releases.Load(); n != 0 {
		t.Fatalf("Create released memory (%d times): only a start does", n)
	}
	if _, err := h.svc.Start(h.ctx, &taskAPI.StartRequest{ID: "c1"}); err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitFor(t, "a release after Start", func() bool { return releases.Load() == 1 })
}
