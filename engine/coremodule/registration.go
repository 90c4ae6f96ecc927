package coremodule

import (
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// storeRegistration is a wasmtime-go Store registered once with an
// instanceState as its data, and that state registered once as an epoch
// deadline handler, for requests' Stores to share one after another
// (capi.NewSharedStore): a request then costs wasmtime-go no table entry,
// runtime finalizer or callback into Go from the Store's deletion, and
// capi no handle.
type storeRegistration struct {
	registered *wasmtime.Store
	// state is the data of the request using the registration.
	state instanceState
	watch capi.DeadlineWatch
}

func (r *storeRegistration) close() {
	r.registered.Close()
	r.watch.Release()
}

// maxFreeRegistrations bounds a Host's free registrations (~6 KB each): a
// burst of more requests at once closes the excess when they end, and
// requests beyond it pay wasmtime-go's registration each.
const maxFreeRegistrations = 64

// storeRegistrations are a Host's registrations that no request uses: as
// many as its requests once ran at the same time, up to
// maxFreeRegistrations, until the Host closes.
type storeRegistrations struct {
	mu     sync.Mutex
	free   []*storeRegistration
	closed bool
}

// get returns a free registration, or registers a new one on engine.
func (rs *storeRegistrations) get(engine *wasmtime.Engine) *storeRegistration {
	rs.mu.Lock()
	if n := len(rs.free); n > 0 {
		r := rs.free[n-1]
		rs.free[n-1] = nil
		rs.free = rs.free[:n-1]
		rs.mu.Unlock()
		return r
	}
	rs.mu.Unlock()
	r := &storeRegistration{}
	r.registered = wasmtime.NewStoreWithData(engine, &r.state)
	r.watch = capi.NewDeadlineWatch(&r.state)
	return r
}

// put takes r back, once the Store using it is deleted, without the
// request's state; after close, or with maxFreeRegistrations free, it
// closes r.
func (rs *storeRegistrations) put(r *storeRegistration) {
	r.state = instanceState{}
	rs.mu.Lock()
	if !rs.closed && len(rs.free) < maxFreeRegistrations {
		rs.free = append(rs.free, r)
		rs.mu.Unlock()
		return
	}
	rs.mu.Unlock()
	r.close()
}

// close closes the free registrations; those in use are closed when put
// back.
func (rs *storeRegistrations) close() {
	rs.mu.Lock()
	free := rs.free
	rs.free, rs.closed = nil, true
	rs.mu.Unlock()
	for _, r := range free {
		r.close()
	}
}
