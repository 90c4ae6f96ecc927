package capi

import (
	"context"
	"fmt"
	"sync"
)

// Pool is the bookkeeping of one engine's instance pool that component
// Engines and core module Hosts share: its slots (Instantiate or NewStore
// takes one, the Store's Close gives it back; nil when the engine
// instantiates on demand), the Stores being closed in the background, and
// the calls on its code, for the App's pool renewal.
type Pool struct {
	Slots   Slots
	closing sync.WaitGroup
	Users
}

// CloseInBackground runs closeStore, a Store's Close, in the background:
// an instance's end is when the pool resets its memory in place, which
// then does not delay the response. Wait waits for it.
func (p *Pool) CloseInBackground(closeStore func()) { p.closing.Go(closeStore) }

// Wait waits until the Stores being closed in the background are closed.
func (p *Pool) Wait() { p.closing.Wait() }

// Slots counts the instances of a bounded instance pool in use, so that
// instances beyond the pool wait for a free slot instead of failing. A nil
// Slots is unbounded.
type Slots chan struct{}

// NewSlots returns Slots for a pool of n instances (n <= 0: unbounded).
func NewSlots(n int) Slots {
	if n <= 0 {
		return nil
	}
	return make(Slots, n)
}

// Acquire waits for a free slot until ctx is done.
func (s Slots) Acquire(ctx context.Context) error {
	if s == nil {
		return nil
	}
	select {
	case s <- struct{}{}: // a free slot, even if ctx has ended
		return nil
	default:
	}
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for a free instance slot: %w", ctx.Err())
	}
}

// Release frees a slot Acquire took.
func (s Slots) Release() {
	if s != nil {
		<-s
	}
}

// InUse is how many slots are taken (0 when unbounded).
func (s Slots) InUse() int { return len(s) }

// Limit is the pool's size (0: unbounded).
func (s Slots) Limit() int { return cap(s) }
