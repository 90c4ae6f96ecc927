package capi

/*
#include "capi.h"

// The calls a Spin 1.x request makes many times, with their pointers as
// addresses (see addr).
static inline spinoci_call_result_t spinoci_call_each_at(uintptr_t store, uintptr_t func, uintptr_t args, size_t nargs,
                                                         size_t rows, uintptr_t results, size_t nresults,
                                                         bool unchecked) {
  return spinoci_call_each((wasmtime_context_t *)store, (const wasmtime_func_t *)func, (const int32_t *)args, nargs,
                           rows, (int32_t *)results, nresults, unchecked);
}

static inline uint64_t spinoci_core_exports_at(uintptr_t store, uintptr_t instance, uintptr_t names, uintptr_t ends,
                                               size_t nfuncs, uintptr_t memory, uintptr_t funcs) {
  return spinoci_core_exports((wasmtime_context_t *)store, (const wasmtime_instance_t *)instance, (const char *)names,
                              (const size_t *)ends, nfuncs, (wasmtime_memory_t *)memory, (wasmtime_func_t *)funcs);
}

static inline spinoci_bytes_t spinoci_memory_at(uintptr_t store, uintptr_t memory) {
  return spinoci_memory((const wasmtime_context_t *)store, (const wasmtime_memory_t *)memory);
}

static inline wasmtime_error_t *spinoci_instance_pre_instantiate_at(uintptr_t pre, uintptr_t store,
                                                                    uintptr_t instance, uintptr_t trap) {
  return wasmtime_instance_pre_instantiate((const wasmtime_instance_pre_t *)pre, (wasmtime_context_t *)store,
                                           (wasmtime_instance_t *)instance, (wasm_trap_t **)trap);
}
*/
import "C"

import "unsafe"

// addr is p as an address for C. cgo checks every pointer argument at run
// time for Go pointers in what it points to; for a pointer into a Go
// object (a request's frame of wasmtime handles) it walks every pointer
// slot of the whole object, which cost a Spin 1.x request more than 10% of
// its instructions over its dozen calls. What these calls are given holds
// wasmtime handles, integers and bytes, never Go pointers, and C keeps none
// of them after the call, so they pass addresses instead; the callers keep
// the Go memory alive across the call (runtime.KeepAlive), and neither the
// heap nor, during a cgo call, the calling goroutine's stack moves.
func addr(p unsafe.Pointer) C.uintptr_t { return C.uintptr_t(uintptr(p)) }

// callEach is spinoci_call_each (CallEach) without the pointer checks.
func callEach(cx StoreContext, f unsafe.Pointer, args, results unsafe.Pointer, nargs, rows, nresults int, typed bool) C.spinoci_call_result_t {
	return C.spinoci_call_each_at(addr(unsafe.Pointer(cx.ptr)), addr(f), addr(args), C.size_t(nargs), C.size_t(rows),
		addr(results), C.size_t(nresults), C.bool(typed))
}

// coreExports is spinoci_core_exports (LookupExports) without the pointer
// checks.
func coreExports(cx StoreContext, inst, names, ends unsafe.Pointer, nfuncs int, memory, funcs unsafe.Pointer) uint64 {
	return uint64(C.spinoci_core_exports_at(addr(unsafe.Pointer(cx.ptr)), addr(inst), addr(names), addr(ends),
		C.size_t(nfuncs), addr(memory), addr(funcs)))
}

// memoryBytes is spinoci_memory (MemoryData) without the pointer checks.
func memoryBytes(cx StoreContext, m unsafe.Pointer) (unsafe.Pointer, int) {
	b := C.spinoci_memory_at(addr(unsafe.Pointer(cx.ptr)), addr(m))
	return unsafe.Pointer(b.data), int(b.size)
}

// preInstantiate is wasmtime_instance_pre_instantiate (InstantiateIn)
// without the pointer checks.
func preInstantiate(p *InstancePre, cx StoreContext, inst unsafe.Pointer, trap **C.wasm_trap_t) *C.wasmtime_error_t {
	return C.spinoci_instance_pre_instantiate_at(addr(unsafe.Pointer(p.ptr)), addr(unsafe.Pointer(cx.ptr)), addr(inst),
		addr(unsafe.Pointer(trap)))
}
