package engine

/*
// The part of Wasmtime's C API (wasmtime/extern.h, wasmtime/instance.h,
// wasmtime/func.h, wasmtime/memory.h, wasmtime/val.h and wasm.h as shipped
// with wasmtime-go v39.0.1) that the Spin executor's hot path uses. The
// symbols come from the libwasmtime.a that wasmtime-go links.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasm_byte_vec_t {
  size_t size;
  char *data;
} wasm_byte_vec_t;

typedef struct wasmtime_instance {
  uint64_t store_id;
  size_t private_;
} wasmtime_instance_t;
typedef struct wasmtime_func {
  uint64_t store_id;
  void *private_;
} wasmtime_func_t;
typedef struct wasmtime_memory {
  struct {
    uint64_t store_id;
    uint32_t private1;
  };
  uint32_t private2;
} wasmtime_memory_t;
typedef struct wasmtime_global {
  uint64_t store_id;
  uint32_t private1;
  uint32_t private2;
  uint32_t private3;
} wasmtime_global_t;
typedef struct wasmtime_extern {
  uint8_t kind;
  union {
    wasmtime_func_t func;
    wasmtime_global_t global;
    wasmtime_memory_t memory;
    void *sharedmemory;
  } of;
} wasmtime_extern_t;
_Static_assert(sizeof(wasmtime_extern_t) == 32, "wasmtime_extern_t is 32 bytes in wasmtime v39");
#define WASMTIME_EXTERN_FUNC 0
#define WASMTIME_EXTERN_MEMORY 3

// wasmtime_val_t: the union's largest members are anyref and externref
// (u64, u32, u32, pointer: 24 bytes, 8-aligned).
typedef struct wasmtime_val {
  uint8_t kind;
  union {
    int32_t i32;
    int64_t i64;
    uint8_t size_[24];
  } of;
} wasmtime_val_t;
_Static_assert(sizeof(wasmtime_val_t) == 32, "wasmtime_val_t is 32 bytes in wasmtime v39");
#define WASMTIME_I32 0

extern bool wasmtime_instance_export_get(wasmtime_context_t *store, const wasmtime_instance_t *instance,
                                         const char *name, size_t name_len, wasmtime_extern_t *item);
extern void wasmtime_extern_delete(wasmtime_extern_t *);
extern uint8_t *wasmtime_memory_data(const wasmtime_context_t *store, const wasmtime_memory_t *memory);
extern size_t wasmtime_memory_data_size(const wasmtime_context_t *store, const wasmtime_memory_t *memory);
extern wasmtime_error_t *wasmtime_func_call(wasmtime_context_t *store, const wasmtime_func_t *func,
                                            const wasmtime_val_t *args, size_t nargs,
                                            wasmtime_val_t *results, size_t nresults, wasm_trap_t **trap);
typedef union wasmtime_val_raw {
  int32_t i32;
  int64_t i64;
  uint8_t v128[16];
  void *funcref;
} wasmtime_val_raw_t;
_Static_assert(sizeof(wasmtime_val_raw_t) == 16, "wasmtime_val_raw_t is 16 bytes in wasmtime v39");
extern wasmtime_error_t *wasmtime_func_call_unchecked(wasmtime_context_t *store, const wasmtime_func_t *func,
                                                      wasmtime_val_raw_t *args_and_results,
                                                      size_t args_and_results_len, wasm_trap_t **trap);
extern void wasm_trap_message(const wasm_trap_t *, wasm_byte_vec_t *out);
extern void wasm_trap_delete(wasm_trap_t *);
extern void wasmtime_error_message(const wasmtime_error_t *, wasm_byte_vec_t *message);
extern void wasmtime_error_delete(wasmtime_error_t *);
extern void wasm_byte_vec_delete(wasm_byte_vec_t *);

// spinoci_export copies the export name of instance into out (a
// wasmtime_func_t or wasmtime_memory_t, 16 bytes) if it has that kind.
static bool spinoci_export(wasmtime_context_t *store, const wasmtime_instance_t *instance, _GoString_ name,
                           uint8_t kind, void *out) {
  wasmtime_extern_t item;
  if (!wasmtime_instance_export_get(store, instance, _GoStringPtr(name), _GoStringLen(name), &item)) {
    return false;
  }
  if (item.kind != kind) {
    wasmtime_extern_delete(&item);
    return false;
  }
  if (kind == WASMTIME_EXTERN_FUNC) {
    *(wasmtime_func_t *)out = item.of.func;
  } else {
    *(wasmtime_memory_t *)out = item.of.memory;
  }
  return true;
}

static void spinoci_memory(const wasmtime_context_t *store, const wasmtime_memory_t *memory, uint8_t **data,
                           size_t *size) {
  *data = wasmtime_memory_data(store, memory);
  *size = wasmtime_memory_data_size(store, memory);
}

// spinoci_call_each calls func once per row of nargs i32 arguments, in
// order, and stops at the first failure. With nresults 1 it stores each
// row's i32 result in results; a result of another kind stops it too,
// with its kind in *bad_kind. It returns how many rows succeeded. With
// unchecked, the caller has verified that func's type is nargs i32 params
// and nresults i32 results, and wasmtime does not check it again.
static size_t spinoci_call_each(wasmtime_context_t *store, const wasmtime_func_t *func, const int32_t *args,
                                size_t nargs, size_t rows, int32_t *results, size_t nresults, bool unchecked,
                                wasmtime_error_t **err, wasm_trap_t **trap, uint8_t *bad_kind) {
  wasmtime_val_t vals[16];
  wasmtime_val_raw_t raw[16];
  for (size_t row = 0; row < rows; row++) {
    if (unchecked) {
      for (size_t i = 0; i < nargs; i++) {
        raw[i].i64 = 0;
        raw[i].i32 = args[row * nargs + i];
      }
      size_t len = nargs > nresults ? nargs : nresults;
      *err = wasmtime_func_call_unchecked(store, func, raw, len > 0 ? len : 1, trap);
      if (*err != NULL || *trap != NULL) {
        return row;
      }
      if (nresults == 1) {
        results[row] = raw[0].i32;
      }
      continue;
    }
    for (size_t i = 0; i < nargs; i++) {
      vals[i].kind = WASMTIME_I32;
      vals[i].of.i64 = 0;
      vals[i].of.i32 = args[row * nargs + i];
    }
    // wasmtime reads the results' kinds before writing them.
    wasmtime_val_t res = {.kind = WASMTIME_I32};
    *err = wasmtime_func_call(store, func, vals, nargs, &res, nresults, trap);
    if (*err != NULL || *trap != NULL) {
      return row;
    }
    if (nresults == 1) {
      if (res.kind != WASMTIME_I32) {
        *bad_kind = res.kind;
        return row;
      }
      results[row] = res.of.i32;
    }
  }
  return rows;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtime-go's Instance, Func and Memory are exactly a wasmtime_instance_t,
// wasmtime_func_t and wasmtime_memory_t (their only field): the build fails
// here if that ever changes.
const (
	_ = unsafe.Sizeof(wasmtime.Instance{}) - unsafe.Sizeof(C.wasmtime_instance_t{}) +
		(unsafe.Sizeof(C.wasmtime_instance_t{}) - unsafe.Sizeof(wasmtime.Instance{}))
	_ = unsafe.Sizeof(wasmtime.Func{}) - unsafe.Sizeof(C.wasmtime_func_t{}) +
		(unsafe.Sizeof(C.wasmtime_func_t{}) - unsafe.Sizeof(wasmtime.Func{}))
	_ = unsafe.Sizeof(wasmtime.Memory{}) - unsafe.Sizeof(C.wasmtime_memory_t{}) +
		(unsafe.Sizeof(C.wasmtime_memory_t{}) - unsafe.Sizeof(wasmtime.Memory{}))
)

// These helpers do what wasmtime-go's Instance.GetFunc, Memory.UnsafeData
// and Func.Call do, with the same checks (wasmtime_func_call checks the
// arguments against the function's type), minus the Go-side cost that
// dominated a Spin request: Func.Call rebuilds the function's type through
// several cgo calls and finalizers on every call (~4 µs), each export
// lookup makes a finalized Extern, each memory access two cgo calls. A
// request makes a realloc or free call per string. Unlike Func.Call they
// do not re-raise a Go panic of a host import called meanwhile (wasmtime-go
// keeps it in the Store); wrapHost turns those into traps itself.

// storeCtx is the wasmtime_context_t of a Store or Caller; it stays
// valid as long as the Store (for a Caller: during the host call).
type storeCtx = *C.wasmtime_context_t

func storeContext(store wasmtime.Storelike) storeCtx {
	return (*C.wasmtime_context_t)(unsafe.Pointer(store.Context()))
}

// lookupFunc returns inst's exported function name, or nil.
func lookupFunc(store wasmtime.Storelike, inst *wasmtime.Instance, name string) *wasmtime.Func {
	f := new(wasmtime.Func)
	ok := C.spinoci_export(storeContext(store), (*C.wasmtime_instance_t)(unsafe.Pointer(inst)), name,
		C.WASMTIME_EXTERN_FUNC, unsafe.Pointer(f))
	runtime.KeepAlive(store)
	if !ok {
		return nil
	}
	return f
}

// lookupMemory returns inst's exported memory name, or nil.
func lookupMemory(store wasmtime.Storelike, inst *wasmtime.Instance, name string) *wasmtime.Memory {
	m := new(wasmtime.Memory)
	ok := C.spinoci_export(storeContext(store), (*C.wasmtime_instance_t)(unsafe.Pointer(inst)), name,
		C.WASMTIME_EXTERN_MEMORY, unsafe.Pointer(m))
	runtime.KeepAlive(store)
	if !ok {
		return nil
	}
	return m
}

// memoryData returns m's bytes; the slice is only valid until the next
// call into the guest (which may grow the memory) and while the Store
// lives.
func memoryData(ctx storeCtx, m *wasmtime.Memory) []byte {
	var data *C.uint8_t
	var size C.size_t
	C.spinoci_memory(ctx, (*C.wasmtime_memory_t)(unsafe.Pointer(m)), &data, &size)
	if size == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(data)), int(size))
}

// maxCallArgs bounds callEach's arguments per call (the C side's array).
const maxCallArgs = 16

// callEach calls f once per row of nargs i32 arguments in args, in order,
// stopping at the first failure. With results non-nil, f must return one
// i32, stored per row. typed says that f's type is known to match
// (checkedSignatures): wasmtime then skips its own type check, which is
// most of a call's cost (~200 ns of ~240 ns for a small function).
func callEach(ctx storeCtx, f *wasmtime.Func, typed bool, nargs int, args []int32, results []int32) error {
	if nargs <= 0 || nargs > maxCallArgs || len(args)%nargs != 0 {
		return fmt.Errorf("callEach: %d arguments per call: unsupported", nargs)
	}
	rows := len(args) / nargs
	if rows == 0 {
		return nil
	}
	var resPtr *C.int32_t
	nresults := 0
	if results != nil {
		if len(results) < rows {
			return fmt.Errorf("callEach: %d results for %d calls", len(results), rows)
		}
		resPtr, nresults = (*C.int32_t)(unsafe.Pointer(&results[0])), 1
	}
	var cerr *C.wasmtime_error_t
	var trap *C.wasm_trap_t
	var badKind C.uint8_t
	done := C.spinoci_call_each(ctx, (*C.wasmtime_func_t)(unsafe.Pointer(f)),
		(*C.int32_t)(unsafe.Pointer(&args[0])), C.size_t(nargs), C.size_t(rows), resPtr, C.size_t(nresults),
		C.bool(typed), &cerr, &trap, &badKind)
	runtime.KeepAlive(f)
	runtime.KeepAlive(args)
	runtime.KeepAlive(results)
	switch {
	case trap != nil:
		if cerr != nil {
			C.wasmtime_error_delete(cerr)
		}
		return trapError(trap)
	case cerr != nil:
		return wasmtimeError(cerr)
	case int(done) < rows:
		return fmt.Errorf("result is not an i32 (wasmtime value kind %d)", badKind)
	}
	return nil
}

// callI32 calls f, which returns one i32, with args (typed: see callEach).
func callI32(ctx storeCtx, f *wasmtime.Func, typed bool, args ...int32) (int32, error) {
	var result [1]int32
	if err := callEach(ctx, f, typed, len(args), args, result[:]); err != nil {
		return 0, err
	}
	return result[0], nil
}

// trapError turns a trap into an error with its message and deletes it.
func trapError(trap *C.wasm_trap_t) error {
	var msg C.wasm_byte_vec_t
	C.wasm_trap_message(trap, &msg)
	text := C.GoStringN(msg.data, C.int(msg.size))
	C.wasm_byte_vec_delete(&msg)
	C.wasm_trap_delete(trap)
	// The C API's trap messages end with a NUL.
	if n := len(text); n > 0 && text[n-1] == 0 {
		text = text[:n-1]
	}
	return errors.New(text)
}

// wasmtimeError turns a wasmtime error into an error and deletes it.
func wasmtimeError(err *C.wasmtime_error_t) error {
	var msg C.wasm_byte_vec_t
	C.wasmtime_error_message(err, &msg)
	text := C.GoStringN(msg.data, C.int(msg.size))
	C.wasm_byte_vec_delete(&msg)
	C.wasmtime_error_delete(err)
	return errors.New(text)
}
