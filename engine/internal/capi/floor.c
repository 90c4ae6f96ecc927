// The request floor (floor.go): a Spin 1.x HTTP request from a fresh Store
// and instance, in one call.
#include "capi.h"

#include <string.h>

// The return area of handle-http-request: status at 0, the body's option
// tag, pointer and length at 16, 20 and 24.
#define FLOOR_RET_AREA 28

int64_t spinoci_floor_request(wasm_engine_t *engine, const wasmtime_instance_pre_t *pre, uint8_t *body, size_t cap) {
  wasmtime_store_t *store = wasmtime_store_new(engine, NULL, NULL);
  wasmtime_context_t *cx = wasmtime_store_context(store);
  int64_t n = SPINOCI_FLOOR_FAILED;
  wasm_trap_t *trap = NULL;
  wasmtime_instance_t inst;
  wasmtime_memory_t memory;
  wasmtime_func_t handle;
  // One tick ahead, as every Store of the engine starts: nothing advances
  // the epoch here, so it never passes.
  wasmtime_context_set_epoch_deadline(cx, 1);
  wasmtime_error_t *err = wasmtime_instance_pre_instantiate(pre, cx, &inst, &trap);
  if (err != NULL || trap != NULL) {
    goto done;
  }
  if (!spinoci_export(cx, &inst, "memory", 6, WASMTIME_EXTERN_MEMORY, &memory) ||
      !spinoci_export(cx, &inst, "handle-http-request", 19, WASMTIME_EXTERN_FUNC, &handle)) {
    n = SPINOCI_FLOOR_NO_EXPORTS;
    goto done;
  }
  // GET (0), an empty URI, no headers, no params, a body of none: the
  // least a request gives the guest.
  wasmtime_val_raw_t raw[11];
  memset(raw, 0, sizeof raw);
  err = wasmtime_func_call_unchecked(cx, &handle, raw, 11, &trap);
  if (err != NULL || trap != NULL) {
    goto done;
  }
  uint8_t *mem = wasmtime_memory_data(cx, &memory);
  size_t size = wasmtime_memory_data_size(cx, &memory);
  uint32_t ret = (uint32_t)raw[0].i32, ptr, len;
  if ((size_t)ret + FLOOR_RET_AREA > size) {
    goto done;
  }
  n = 0;
  if (mem[ret + 16] != 0) {
    memcpy(&ptr, mem + ret + 20, 4);
    memcpy(&len, mem + ret + 24, 4);
    if ((size_t)ptr + len > size || len > cap) {
      n = SPINOCI_FLOOR_FAILED;
      goto done;
    }
    memcpy(body, mem + ptr, len);
    n = len;
  }
done:
  if (err != NULL) {
    wasmtime_error_delete(err);
  }
  if (trap != NULL) {
    wasm_trap_delete(trap);
  }
  wasmtime_store_delete(store);
  return n;
}
