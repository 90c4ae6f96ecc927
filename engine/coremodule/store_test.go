package coremodule

import (
	"context"
	"errors"
	"testing"
)

// TestInstanceSlotsQueue: with every instance slot taken, a request waits
// for one and gives up when its context ends.
func TestInstanceSlotsQueue(t *testing.T) {
	h := &Host{slots: make(chan struct{}, 1)}
	if err := h.acquireSlot(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := h.acquireSlot(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire with all slots taken and a cancelled context: %v", err)
	}
	h.releaseSlot()
	if err := h.acquireSlot(ctx); err != nil { // a free slot is taken even then
		t.Fatalf("acquire after release: %v", err)
	}
	h.releaseSlot()
	if n := h.InstancesInUse(); n != 0 {
		t.Errorf("%d slots in use after every release", n)
	}
}
