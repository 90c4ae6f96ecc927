package shim

import (
	"context"
	"sync"
	"time"
)

// appDirUsers counts the processes that still read a task's app directory
// and may outlive the task: optimising compile stages, until they have read
// the app's wasm binaries (appproto.StateInputsRead). Delete removes the
// directory once they are done with it. A nil *appDirUsers counts nothing.
type appDirUsers struct{ wg sync.WaitGroup }

// add counts one user; the returned func, which may be called more than
// once, ends it.
func (u *appDirUsers) add() (done func()) {
	if u == nil {
		return func() {}
	}
	u.wg.Add(1)
	var once sync.Once
	return func() { once.Do(u.wg.Done) }
}

// wait returns once no user is left (true), or false when ctx ends or limit
// passes first.
func (u *appDirUsers) wait(ctx context.Context, limit time.Duration) bool {
	if u == nil {
		return true
	}
	idle := make(chan struct{})
	go func() {
		u.wg.Wait()
		close(idle)
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-idle:
		return true
	case <-ctx.Done():
	case <-timer.C:
	}
	return false
}

// appDirUsersLimit bounds how long Delete waits for an optimising stage to
// read the app: reading a few wasm binaries takes well under a second.
const appDirUsersLimit = 30 * time.Second
