package capi

/*
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtime-go's Instance, Func and Memory are exactly a wasmtime_instance_t,
// wasmtime_func_t and wasmtime_memory_t (their only field), so pointers to
// them are passed to C as such: the build fails here if their sizes differ,
// and the layout test checks the fields.
const (
	_ = unsafe.Sizeof(wasmtime.Instance{}) - unsafe.Sizeof(C.wasmtime_instance_t{}) +
		(unsafe.Sizeof(C.wasmtime_instance_t{}) - unsafe.Sizeof(wasmtime.Instance{}))
	_ = unsafe.Sizeof(wasmtime.Func{}) - unsafe.Sizeof(C.wasmtime_func_t{}) +
		(unsafe.Sizeof(C.wasmtime_func_t{}) - unsafe.Sizeof(wasmtime.Func{}))
	_ = unsafe.Sizeof(wasmtime.Memory{}) - unsafe.Sizeof(C.wasmtime_memory_t{}) +
		(unsafe.Sizeof(C.wasmtime_memory_t{}) - unsafe.Sizeof(wasmtime.Memory{}))
)

// These functions do what wasmtime-go's Instance.GetFunc, Memory.UnsafeData
// and Func.Call do, with the same checks (wasmtime_func_call checks the
// arguments against the function's type), minus the Go-side cost that
// dominated a Spin request: Func.Call rebuilds the function's type through
// several cgo calls and finalizers on every call (~4 µs), each export
// lookup makes a finalized Extern, each memory access two cgo calls. A
// request makes a realloc or free call per string. Unlike Func.Call they
// do not re-raise a Go panic of a host import called meanwhile (wasmtime-go
// keeps it in the Store): host imports must turn those into traps
// themselves.

// StoreContext is the wasmtime_context_t of a wasmtime-go Store or Caller;
// it stays valid as long as the Store (for a Caller: during the host call).
type StoreContext struct {
	ptr *C.wasmtime_context_t
}

// ContextOf returns store's context.
func ContextOf(store wasmtime.Storelike) StoreContext {
	return StoreContext{ptr: (*C.wasmtime_context_t)(unsafe.Pointer(store.Context()))}
}

// LookupFunc returns inst's exported function name, or nil.
func LookupFunc(store wasmtime.Storelike, inst *wasmtime.Instance, name string) *wasmtime.Func {
	f := new(wasmtime.Func)
	if !lookupExport(store, inst, name, C.WASMTIME_EXTERN_FUNC, unsafe.Pointer(f)) {
		return nil
	}
	return f
}

// LookupMemory returns inst's exported memory name, or nil.
func LookupMemory(store wasmtime.Storelike, inst *wasmtime.Instance, name string) *wasmtime.Memory {
	m := new(wasmtime.Memory)
	if !lookupExport(store, inst, name, C.WASMTIME_EXTERN_MEMORY, unsafe.Pointer(m)) {
		return nil
	}
	return m
}

// lookupExport copies inst's export name into out if it is of kind.
func lookupExport(store wasmtime.Storelike, inst *wasmtime.Instance, name string, kind C.wasmtime_extern_kind_t, out unsafe.Pointer) bool {
	ok := C.spinoci_export(ContextOf(store).ptr, (*C.wasmtime_instance_t)(unsafe.Pointer(inst)),
		(*C.char)(unsafe.Pointer(unsafe.StringData(name))), C.size_t(len(name)), kind, out)
	runtime.KeepAlive(store)
	return bool(ok)
}

// MemoryData returns m's bytes; the slice is only valid until the next
// call into the guest (which may grow the memory) and while the Store
// lives.
func MemoryData(cx StoreContext, m *wasmtime.Memory) []byte {
	data, size := memoryBytes(cx, unsafe.Pointer(m))
	runtime.KeepAlive(m)
	return bytesAt(data, size)
}

// memoryBytesOf is a C memory's bytes as a slice.
func memoryBytesOf(b C.spinoci_bytes_t) []byte {
	return bytesAt(unsafe.Pointer(b.data), int(b.size))
}

func bytesAt(data unsafe.Pointer, size int) []byte {
	if size == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(data), size)
}

// MaxCallArgs bounds CallEach's arguments per call (the C side's array).
const MaxCallArgs = 16

// CallEach calls f once per row of nargs i32 arguments in args, in order,
// stopping at the first failure. With results non-nil, f must return one
// i32, stored per row. typed says that f's type is known to be nargs i32
// parameters and, with results, one i32 result: wasmtime then skips its
// own type check, which is most of a call's cost (~200 ns of ~240 ns for a
// small function). A wrong typed is undefined behaviour.
func CallEach(cx StoreContext, f *wasmtime.Func, typed bool, nargs int, args []int32, results []int32) error {
	_, err := callEachRows(cx, f, typed, nargs, args, results, nil)
	return err
}

// CallEachMemory is CallEach, and then returns mem's bytes (as MemoryData
// does) in the same cgo call.
func CallEachMemory(cx StoreContext, f *wasmtime.Func, typed bool, nargs int, args []int32, results []int32, mem *wasmtime.Memory) ([]byte, error) {
	return callEachRows(cx, f, typed, nargs, args, results, mem)
}

func callEachRows(cx StoreContext, f *wasmtime.Func, typed bool, nargs int, args []int32, results []int32, mem *wasmtime.Memory) ([]byte, error) {
	if nargs <= 0 || nargs > MaxCallArgs || len(args)%nargs != 0 {
		return nil, fmt.Errorf("call: %d arguments per call: unsupported", nargs)
	}
	rows := len(args) / nargs
	if rows == 0 {
		if mem == nil {
			return nil, nil
		}
		return MemoryData(cx, mem), nil
	}
	var resPtr unsafe.Pointer
	nresults := 0
	if results != nil {
		if len(results) < rows {
			return nil, fmt.Errorf("call: %d results for %d calls", len(results), rows)
		}
		resPtr, nresults = unsafe.Pointer(&results[0]), 1
	}
	r := callEach(cx, unsafe.Pointer(f), unsafe.Pointer(&args[0]), resPtr, nargs, rows, nresults, typed, unsafe.Pointer(mem))
	runtime.KeepAlive(f)
	runtime.KeepAlive(args)
	runtime.KeepAlive(results)
	runtime.KeepAlive(mem)
	switch {
	case r.trap != nil:
		if r.err != nil {
			C.wasmtime_error_delete(r.err)
		}
		return nil, trapError(r.trap)
	case r.err != nil:
		return nil, takeError(r.err)
	case int(r.done) < rows:
		return nil, fmt.Errorf("result is not an i32 (wasmtime value kind %d)", r.bad_kind)
	}
	if mem == nil {
		return nil, nil
	}
	return memoryBytesOf(r.memory), nil
}

// CallI32 calls f, which returns one i32, with args (typed: see CallEach).
func CallI32(cx StoreContext, f *wasmtime.Func, typed bool, args ...int32) (int32, error) {
	var result [1]int32
	if err := CallEach(cx, f, typed, len(args), args, result[:]); err != nil {
		return 0, err
	}
	return result[0], nil
}

// trapError turns a trap into an error with its message and deletes it.
func trapError(trap *C.wasm_trap_t) error {
	var msg C.wasm_message_t
	C.wasm_trap_message(trap, &msg)
	C.wasm_trap_delete(trap)
	text := takeName(&msg)
	// The C API's trap messages end with a NUL.
	if n := len(text); n > 0 && text[n-1] == 0 {
		text = text[:n-1]
	}
	return &Error{Message: trimNative(text)}
}
