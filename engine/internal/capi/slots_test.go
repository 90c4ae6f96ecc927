package capi

import (
	"context"
	"errors"
	"testing"
)

// TestSlotsQueue: with every slot taken, Acquire waits for one and gives up
// when its context ends; a free slot is taken even then.
func TestSlotsQueue(t *testing.T) {
	s := NewSlots(1)
	if err := s.Acquire(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire with all slots taken and a cancelled context: %v", err)
	}
	s.Release()
	if err := s.Acquire(ctx); err != nil { // a free slot is taken even then
		t.Fatalf("acquire after release: %v", err)
	}
	s.Release()
	if n := s.InUse(); n != 0 {
		t.Errorf("%d slots in use after every release", n)
	}
	if NewSlots(0) != nil || NewSlots(0).Acquire(ctx) != nil {
		t.Error("NewSlots(0) is not unbounded")
	}
}
