package capi

/*
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"runtime/cgo"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtime-go's Store starts with its wasmtime_store_t pointer (the layout
// test checks the field), which the functions below pass to C.
func storePtr(s *wasmtime.Store) *C.wasmtime_store_t {
	return *(**C.wasmtime_store_t)(unsafe.Pointer(s))
}

//export spinociCoreEpochDeadline
func spinociCoreEpochDeadline(handle C.uintptr_t, delta *C.uint64_t) (cerr *C.wasmtime_error_t) {
	defer func() {
		if r := recover(); r != nil {
			cerr = newCError(fmt.Errorf("epoch deadline handler panic: %v", r))
		}
	}()
	ticks, err := cgo.Handle(handle).Value().(DeadlineHandler).EpochDeadline()
	if err != nil {
		return newCError(err)
	}
	*delta = C.uint64_t(max(ticks, 1))
	return nil
}

// LimitMemory caps each linear memory of the store's instances at bytes:
// memory.grow beyond it fails (returns -1) and instantiating a module
// whose initial memory is larger fails. bytes <= 0 leaves no cap.
func (s *Store) LimitMemory(bytes int64) {
	if bytes > 0 {
		C.wasmtime_store_limiter(s.ptr, C.int64_t(bytes), -1, -1, -1, -1)
	}
}

// SetStdinBytes makes data (copied) the guest's stdin; without it the
// guest's stdin is empty.
func SetStdinBytes(wasi *wasmtime.WasiConfig, data []byte) {
	if len(data) == 0 {
		return
	}
	ptr := *(**C.wasi_config_t)(unsafe.Pointer(wasi))
	C.spinoci_set_stdin_bytes(ptr, (*C.uint8_t)(unsafe.Pointer(&data[0])), C.size_t(len(data)))
	runtime.KeepAlive(wasi)
	runtime.KeepAlive(data)
}
