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
	release, err := h.acquireSlot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.acquireSlot(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire with all slots taken and a cancelled context: %v", err)
	}
	release()
	release2, err := h.acquireSlot(ctx) // a free slot is taken even then
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	release2()
}
