package capi

/*
#include "capi.h"

// The calls a Spin 1.x request makes many times, with wasmtime's handle
// types passed as plain integers (see callEach).
static inline spinoci_call_result_t spinoci_call_each_at(uintptr_t store, const uint64_t *func, const int32_t *args,
                                                         size_t nargs, size_t rows, int32_t *results, size_t nresults,
                                                         bool unchecked, const uint64_t *memory) {
  return spinoci_call_each((wasmtime_context_t *)store, (const wasmtime_func_t *)func, args, nargs, rows, results,
                           nresults, unchecked, (const wasmtime_memory_t *)memory);
}

static inline uint64_t spinoci_core_exports_at(uintptr_t store, const uint64_t *instance, const char *names,
                                               const size_t *ends, size_t nfuncs, uint64_t *memory, uint64_t *funcs) {
  return spinoci_core_exports((wasmtime_context_t *)store, (const wasmtime_instance_t *)instance, names, ends, nfuncs,
                              (wasmtime_memory_t *)memory, (wasmtime_func_t *)funcs);
}

static inline spinoci_bytes_t spinoci_memory_at(uintptr_t store, const uint64_t *memory) {
  return spinoci_memory((const wasmtime_context_t *)store, (const wasmtime_memory_t *)memory);
}

static inline wasmtime_error_t *spinoci_instance_pre_instantiate_at(uintptr_t pre, uintptr_t store, uint64_t *instance,
                                                                    uintptr_t *trap) {
  return wasmtime_instance_pre_instantiate((const wasmtime_instance_pre_t *)pre, (wasmtime_context_t *)store,
                                           (wasmtime_instance_t *)instance, (wasm_trap_t **)trap);
}

static inline wasmtime_error_t *spinoci_instantiate_exports_at(uintptr_t pre, uintptr_t store, uint64_t *instance,
                                                               uintptr_t *trap, const char *names, const size_t *ends,
                                                               size_t nfuncs, uint64_t *memory, uint64_t *funcs,
                                                               uint64_t *found) {
  return spinoci_instantiate_exports((const wasmtime_instance_pre_t *)pre, (wasmtime_context_t *)store,
                                     (wasmtime_instance_t *)instance, (wasm_trap_t **)trap, names, ends, nfuncs,
                                     (wasmtime_memory_t *)memory, (wasmtime_func_t *)funcs, found);
}
*/
import "C"

import "unsafe"

// cgo checks at run time every pointer argument whose C type may hold
// pointers for Go pointers in what it points to; for a pointer into a Go
// object (a request's frame of wasmtime handles) it walks every pointer
// slot of the whole object, which cost a Spin 1.x request more than 10% of
// its instructions over its dozen calls. What these calls are given holds
// wasmtime handles (integers, and pointers to wasmtime's own memory),
// integers and bytes, never Go pointers, so the functions below pass Go
// memory as pointers to plain integers, which cgo does not check; the
// store context and the InstancePre are C memory, passed as addresses.
// The Go pointers stay pointer arguments of the C call so that, as for any
// cgo argument, what they point to is kept off the goroutine's stack,
// which a Go host function called back during the call may move.

// callEach is spinoci_call_each (CallEach); mem may be nil.
func callEach(cx StoreContext, f unsafe.Pointer, args, results unsafe.Pointer, nargs, rows, nresults int, typed bool, mem unsafe.Pointer) C.spinoci_call_result_t {
	return C.spinoci_call_each_at(C.uintptr_t(uintptr(unsafe.Pointer(cx.ptr))), (*C.uint64_t)(f), (*C.int32_t)(args),
		C.size_t(nargs), C.size_t(rows), (*C.int32_t)(results), C.size_t(nresults), C.bool(typed), (*C.uint64_t)(mem))
}

// coreExports is spinoci_core_exports (LookupExports).
func coreExports(cx StoreContext, inst unsafe.Pointer, names *byte, ends *C.size_t, nfuncs int, memory, funcs unsafe.Pointer) uint64 {
	return uint64(C.spinoci_core_exports_at(C.uintptr_t(uintptr(unsafe.Pointer(cx.ptr))), (*C.uint64_t)(inst),
		(*C.char)(unsafe.Pointer(names)), ends, C.size_t(nfuncs), (*C.uint64_t)(memory), (*C.uint64_t)(funcs)))
}

// memoryBytes is spinoci_memory (MemoryData).
func memoryBytes(cx StoreContext, m unsafe.Pointer) (unsafe.Pointer, int) {
	b := C.spinoci_memory_at(C.uintptr_t(uintptr(unsafe.Pointer(cx.ptr))), (*C.uint64_t)(m))
	return unsafe.Pointer(b.data), int(b.size)
}

// preInstantiate is wasmtime_instance_pre_instantiate (InstantiateIn).
func preInstantiate(p *InstancePre, cx StoreContext, inst unsafe.Pointer, trap **C.wasm_trap_t) *C.wasmtime_error_t {
	return C.spinoci_instance_pre_instantiate_at(C.uintptr_t(uintptr(unsafe.Pointer(p.ptr))),
		C.uintptr_t(uintptr(unsafe.Pointer(cx.ptr))), (*C.uint64_t)(inst), (*C.uintptr_t)(unsafe.Pointer(trap)))
}

// preInstantiateExports is spinoci_instantiate_exports
// (InstantiateExporting).
func preInstantiateExports(p *InstancePre, cx StoreContext, inst unsafe.Pointer, trap **C.wasm_trap_t, names *ExportNames, out *Exports) *C.wasmtime_error_t {
	return C.spinoci_instantiate_exports_at(C.uintptr_t(uintptr(unsafe.Pointer(p.ptr))),
		C.uintptr_t(uintptr(unsafe.Pointer(cx.ptr))), (*C.uint64_t)(inst), (*C.uintptr_t)(unsafe.Pointer(trap)),
		(*C.char)(unsafe.Pointer(&names.names[0])), &names.ends[0], C.size_t(len(names.ends)-1),
		(*C.uint64_t)(unsafe.Pointer(&out.memory)), (*C.uint64_t)(unsafe.Pointer(&out.funcs[0])), (*C.uint64_t)(unsafe.Pointer(&out.found)))
}
