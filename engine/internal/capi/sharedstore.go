package capi

/*
#include "capi.h"
*/
import "C"

import (
	"runtime"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Stores that share a registered Store's data, for a request's Store.
//
// wasmtime-go keeps each Store's Go data in a process-wide table under an
// index, which is the C store's data and which its host function
// trampolines look up (Caller.Data). Creating a Store takes the table's
// lock and sets a runtime finalizer; deleting it calls back into Go from
// inside the C delete to take the entry out. A request's Store paid all
// three, and the callback worst: it re-enters Go from a cgo call whose P
// the scheduler may have given to another thread meanwhile, and then waits
// for one on its locked thread, which leaves a core idle (hello under wrk
// on 2 cores: 13-21 % idle with the callback, 2-10 % without). A shared
// Store is a new C store with a registered Store's data and no finalizer:
// host functions find the registered Store's data, and deleting it calls
// nothing. The registered Store is made once and reused by one request
// after another.

// sharedStore has wasmtime-go's Store's layout (the layout test checks
// it): NewSharedStore makes one and hands it out as a *wasmtime.Store.
type sharedStore struct {
	ptr    *C.wasmtime_store_t
	engine *wasmtime.Engine
}

// sharedStore and wasmtime-go's Store are the same size (the constant
// overflows otherwise).
const _ = unsafe.Sizeof(wasmtime.Store{}) - unsafe.Sizeof(sharedStore{}) +
	(unsafe.Sizeof(sharedStore{}) - unsafe.Sizeof(wasmtime.Store{}))

// NewSharedStore returns a new Store on registered's engine whose data is
// registered's (host functions called in it see registered.Data()), and
// its context (valid while it lives), in one cgo call. w's handler decides,
// at each of the Store's epoch deadlines, whether its guest may go on (see
// DeadlineHandler); the first deadline is one tick ahead; each linear
// memory of its instances is capped at maxMemory bytes when that is
// positive (memory.grow beyond it fails, as with wasmtime-go's
// Store.Limiter). registered's engine must have epoch interruption
// (NewModuleEngine) and registered must outlive the Store; delete it with
// DeleteSharedStore, not Close.
func NewSharedStore(registered *wasmtime.Store, w DeadlineWatch, maxMemory int64) (*wasmtime.Store, StoreContext) {
	e := registered.Engine
	made := C.spinoci_store_share(enginePtr(e), storePtr(registered), C.uintptr_t(w.handle), C.int64_t(maxMemory))
	runtime.KeepAlive(registered)
	s := &sharedStore{engine: e, ptr: made.store}
	return (*wasmtime.Store)(unsafe.Pointer(s)), StoreContext{ptr: made.context}
}

// DeleteSharedStore deletes s, a Store from NewSharedStore, with its
// instances; deleting it again does nothing.
func DeleteSharedStore(s *wasmtime.Store) {
	ss := (*sharedStore)(unsafe.Pointer(s))
	if ss.ptr != nil {
		C.wasmtime_store_delete(ss.ptr)
		ss.ptr = nil
	}
}

// wasmtime-go's Engine is a single wasm_engine_t pointer (the layout test
// checks its field), which enginePtr reads.
const _ = unsafe.Sizeof(wasmtime.Engine{}) - unsafe.Sizeof(uintptr(0)) +
	(unsafe.Sizeof(uintptr(0)) - unsafe.Sizeof(wasmtime.Engine{}))

// enginePtr is the wasm_engine_t of wasmtime-go's Engine.
func enginePtr(e *wasmtime.Engine) *C.wasm_engine_t {
	return *(**C.wasm_engine_t)(unsafe.Pointer(e))
}
