package engine

/*
// The part of Wasmtime's C API (wasmtime/func.h, wasmtime/val.h, wasm.h as
// shipped with wasmtime-go v39.0.1) that callI32 uses. The symbols come from
// the libwasmtime.a that wasmtime-go links.
#include <stddef.h>
#include <stdint.h>

typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasm_byte_vec_t {
  size_t size;
  char *data;
} wasm_byte_vec_t;

typedef struct wasmtime_func {
  uint64_t store_id;
  void *private_;
} wasmtime_func_t;

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

extern wasmtime_error_t *wasmtime_func_call(wasmtime_context_t *store, const wasmtime_func_t *func,
                                            const wasmtime_val_t *args, size_t nargs,
                                            wasmtime_val_t *results, size_t nresults, wasm_trap_t **trap);
extern void wasm_trap_message(const wasm_trap_t *, wasm_byte_vec_t *out);
extern void wasm_trap_delete(wasm_trap_t *);
extern void wasmtime_error_message(const wasmtime_error_t *, wasm_byte_vec_t *message);
extern void wasmtime_error_delete(wasmtime_error_t *);
extern void wasm_byte_vec_delete(wasm_byte_vec_t *);

// spinoci_call_i32 calls func with nargs i32 arguments and at most one
// result: an i32 written to *result, *result_kind says what it was.
static wasmtime_error_t *spinoci_call_i32(wasmtime_context_t *store, const wasmtime_func_t *func,
                                          const int32_t *args, size_t nargs, int32_t *result,
                                          uint8_t *result_kind, size_t nresults, wasm_trap_t **trap) {
  wasmtime_val_t vals[8];
  // wasmtime reads the results' kinds before writing them.
  wasmtime_val_t res[1] = {{.kind = WASMTIME_I32}};
  for (size_t i = 0; i < nargs; i++) {
    vals[i].kind = WASMTIME_I32;
    vals[i].of.i64 = 0;
    vals[i].of.i32 = args[i];
  }
  wasmtime_error_t *err = wasmtime_func_call(store, func, vals, nargs, res, nresults, trap);
  if (err == NULL && *trap == NULL && nresults == 1) {
    *result_kind = res[0].kind;
    if (res[0].kind == WASMTIME_I32) {
      *result = res[0].of.i32;
    }
  }
  return err;
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

// wasmtime-go's Func is exactly a wasmtime_func_t (its only field): the
// build fails here if that ever changes.
const _ = unsafe.Sizeof(wasmtime.Func{}) - unsafe.Sizeof(C.wasmtime_func_t{}) +
	(unsafe.Sizeof(C.wasmtime_func_t{}) - unsafe.Sizeof(wasmtime.Func{}))

// maxCallArgs bounds callI32's arguments (the C side's array).
const maxCallArgs = 8

// callI32 calls f with i32 arguments and returns its i32 result (0 when
// nresults is 0). It does what (*wasmtime.Func).Call does, type checks
// included (wasmtime_func_call checks the arguments against the function
// type), minus the Go-side cost: Func.Call builds the function's type
// through several cgo calls and finalizers on every call, ~4 µs, and a
// request makes a realloc/free call per string. A Go panic inside a host
// import called from here comes back as a trap error instead of being
// re-raised, so calls into code that may run host imports (the handler
// itself) keep using Func.Call.
func callI32(store wasmtime.Storelike, f *wasmtime.Func, nresults int, args ...int32) (int32, error) {
	if len(args) > maxCallArgs || nresults > 1 {
		return 0, fmt.Errorf("callI32: %d arguments, %d results: unsupported", len(args), nresults)
	}
	var argv [maxCallArgs]C.int32_t
	for i, a := range args {
		argv[i] = C.int32_t(a)
	}
	var result C.int32_t
	var kind C.uint8_t
	var trap *C.wasm_trap_t
	ctx := (*C.wasmtime_context_t)(unsafe.Pointer(store.Context()))
	err := C.spinoci_call_i32(ctx, (*C.wasmtime_func_t)(unsafe.Pointer(f)), &argv[0], C.size_t(len(args)),
		&result, &kind, C.size_t(nresults), &trap)
	runtime.KeepAlive(store)
	runtime.KeepAlive(f)
	if trap != nil {
		var msg C.wasm_byte_vec_t
		C.wasm_trap_message(trap, &msg)
		text := C.GoStringN(msg.data, C.int(msg.size))
		C.wasm_byte_vec_delete(&msg)
		C.wasm_trap_delete(trap)
		if err != nil {
			C.wasmtime_error_delete(err)
		}
		// The C API's trap messages end with a NUL.
		if n := len(text); n > 0 && text[n-1] == 0 {
			text = text[:n-1]
		}
		return 0, errors.New(text)
	}
	if err != nil {
		var msg C.wasm_byte_vec_t
		C.wasmtime_error_message(err, &msg)
		text := C.GoStringN(msg.data, C.int(msg.size))
		C.wasm_byte_vec_delete(&msg)
		C.wasmtime_error_delete(err)
		return 0, errors.New(text)
	}
	if nresults == 1 && kind != C.WASMTIME_I32 {
		return 0, fmt.Errorf("result is not an i32 (wasmtime value kind %d)", kind)
	}
	return int32(result), nil
}
