package capi

import (
	"sync"
	"time"
)

// Users counts the calls running on an engine's code (an Engine's, or a
// core module Host's), so that an engine replaced by a fresh one (to give
// its instance pool's memory back) is closed only once the last call on it
// has ended, and so that its owner can tell how busy it was and how long it
// has been idle. The zero value is ready.
type Users struct {
	mu    sync.Mutex
	calls int
	// peak is the most calls at once since the engine was made; started
	// counts the calls ever started.
	peak, started int
	// idleSince is when the last call ended (zero before the first).
	idleSince time.Time
	retired   bool
	// drained is closed when the engine is retired and no call runs.
	drained chan struct{}
}

// Use records a call starting on the engine's code. It returns false once
// the engine is retired: the caller's code has been replaced by code of
// another engine, which it must load again.
func (u *Users) Use() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.retired {
		return false
	}
	u.calls++
	u.started++
	u.peak = max(u.peak, u.calls)
	return true
}

// Done ends a call Use started; the call's Stores are closed, or being
// closed by CloseAsync.
func (u *Users) Done() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.calls--
	if u.calls > 0 {
		return
	}
	u.idleSince = time.Now()
	if u.retired {
		close(u.drained)
	}
}

// Usage reports the calls running now, the most that ran at once, and
// since when none has run (the zero time: none ever has).
func (u *Users) Usage() (calls, peak int, idleSince time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls, u.peak, u.idleSince
}

// Started is how many calls ever started on the engine's code.
func (u *Users) Started() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.started
}

// Retire makes Use refuse new calls. The channel it returns is closed once
// no call runs: the engine can then be closed.
func (u *Users) Retire() <-chan struct{} {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.retired {
		u.retired = true
		u.drained = make(chan struct{})
		if u.calls == 0 {
			close(u.drained)
		}
	}
	return u.drained
}
