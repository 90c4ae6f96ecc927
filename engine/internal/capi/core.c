// Core-module fast paths (export lookup, memory access, calls with i32
// arguments) and WASI output to a file descriptor.
#include "capi.h"

#include <errno.h>
#include <unistd.h>

// spinoci_export copies the export name of instance into out (a
// wasmtime_func_t or wasmtime_memory_t) if it has that kind.
bool spinoci_export(wasmtime_context_t *store, const wasmtime_instance_t *instance, const char *name, size_t len,
                    wasmtime_extern_kind_t kind, void *out) {
  wasmtime_extern_t item;
  if (!wasmtime_instance_export_get(store, instance, name, len, &item)) {
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

spinoci_bytes_t spinoci_memory(const wasmtime_context_t *store, const wasmtime_memory_t *memory) {
  spinoci_bytes_t out = {wasmtime_memory_data(store, memory), wasmtime_memory_data_size(store, memory)};
  return out;
}

// spinoci_call_each calls func once per row of nargs i32 arguments, in
// order, and stops at the first failure (its err or trap in the result).
// With nresults 1 it stores each row's i32 result in results; a result of
// another kind stops it too, with its kind in bad_kind. done is how many
// rows succeeded. With unchecked, the caller has verified that func's type
// is nargs i32 params and nresults i32 results, and wasmtime does not check
// it again. With memory not NULL, the result's memory is that memory's
// bytes once every row succeeded: what the caller reads next, without a
// call of its own.
spinoci_call_result_t spinoci_call_each(wasmtime_context_t *store, const wasmtime_func_t *func, const int32_t *args,
                                        size_t nargs, size_t rows, int32_t *results, size_t nresults, bool unchecked,
                                        const wasmtime_memory_t *memory) {
  spinoci_call_result_t out = {0};
  wasmtime_val_t vals[16];
  wasmtime_val_raw_t raw[16];
  for (size_t row = 0; row < rows; row++, out.done = row) {
    if (unchecked) {
      for (size_t i = 0; i < nargs; i++) {
        raw[i].i64 = 0;
        raw[i].i32 = args[row * nargs + i];
      }
      size_t len = nargs > nresults ? nargs : nresults;
      out.err = wasmtime_func_call_unchecked(store, func, raw, len > 0 ? len : 1, &out.trap);
      if (out.err != NULL || out.trap != NULL) {
        return out;
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
    out.err = wasmtime_func_call(store, func, vals, nargs, &res, nresults, &out.trap);
    if (out.err != NULL || out.trap != NULL) {
      return out;
    }
    if (nresults == 1) {
      if (res.kind != WASMTIME_I32) {
        out.bad_kind = res.kind;
        return out;
      }
      results[row] = res.of.i32;
    }
  }
  out.done = rows;
  if (memory != NULL) {
    out.memory = spinoci_memory(store, memory);
  }
  return out;
}

// spinoci_write_fd writes all of buf to the file descriptor in data. It
// returns the bytes written or a negative errno, as wasmtime expects.
static ptrdiff_t spinoci_write_fd(void *data, const unsigned char *buf, size_t len) {
  int fd = (int)(intptr_t)data;
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, buf + done, len - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return done > 0 ? (ptrdiff_t)done : -(ptrdiff_t)errno;
    }
    done += (size_t)n;
  }
  return (ptrdiff_t)done;
}

void spinoci_set_output_fd(wasi_config_t *config, bool to_stderr, int fd) {
  if (to_stderr) {
    wasi_config_set_stderr_custom(config, spinoci_write_fd, (void *)(intptr_t)fd, NULL);
  } else {
    wasi_config_set_stdout_custom(config, spinoci_write_fd, (void *)(intptr_t)fd, NULL);
  }
}

// spinoci_core_deadline_trampoline asks the Go DeadlineHandler whose
// cgo.Handle is data (a wasmtime-go Store's data is wasmtime-go's own).
static wasmtime_error_t *spinoci_core_deadline_trampoline(wasmtime_context_t *ctx, void *data, uint64_t *delta,
                                                          wasmtime_update_deadline_kind_t *kind) {
  (void)ctx;
  *kind = WASMTIME_UPDATE_DEADLINE_CONTINUE;
  return spinociCoreEpochDeadline((uintptr_t)data, delta);
}

void spinoci_core_store_on_deadline(wasmtime_store_t *store, uintptr_t handle) {
  wasmtime_store_epoch_deadline_callback(store, spinoci_core_deadline_trampoline, (void *)handle, NULL);
}

void spinoci_set_stdin_bytes(wasi_config_t *config, const uint8_t *data, size_t len) {
  wasm_byte_vec_t vec;
  wasm_byte_vec_new(&vec, len, (const wasm_byte_t *)data);
  wasi_config_set_stdin_bytes(config, &vec);
}

// spinoci_core_exports looks up instance's memory export and nfuncs
// function exports by name: names holds the names back to back, the
// memory's first, name i ending at ends[i]. It fills *memory and funcs[i]
// for those found with the right kind and returns them as a bitmask: bit
// 0 for the memory, bit i+1 for funcs[i]. Empty names are skipped.
uint64_t spinoci_core_exports(wasmtime_context_t *store, const wasmtime_instance_t *instance, const char *names,
                              const size_t *ends, size_t nfuncs, wasmtime_memory_t *memory, wasmtime_func_t *funcs) {
  uint64_t found = 0;
  size_t start = 0;
  for (size_t i = 0; i <= nfuncs && i < 64; i++) {
    const char *name = names + start;
    size_t len = ends[i] - start;
    start = ends[i];
    if (len == 0) {
      continue; // not exported: nothing to look up
    }
    if (i == 0) {
      if (spinoci_export(store, instance, name, len, WASMTIME_EXTERN_MEMORY, memory)) {
        found |= 1;
      }
    } else if (spinoci_export(store, instance, name, len, WASMTIME_EXTERN_FUNC, &funcs[i - 1])) {
      found |= (uint64_t)1 << i;
    }
  }
  return found;
}

// spinoci_core_store_setup makes the Go DeadlineHandler whose cgo.Handle is
// handle decide at the store's epoch deadlines, sets the first deadline one
// tick ahead, caps each linear memory at max_memory bytes when it is
// positive, and returns the store's context: one call where a request made
// four.
wasmtime_context_t *spinoci_core_store_setup(wasmtime_store_t *store, uintptr_t handle, int64_t max_memory) {
  spinoci_core_store_on_deadline(store, handle);
  if (max_memory > 0) {
    wasmtime_store_limiter(store, max_memory, -1, -1, -1, -1);
  }
  wasmtime_context_t *cx = wasmtime_store_context(store);
  wasmtime_context_set_epoch_deadline(cx, 1);
  return cx;
}

// spinoci_store_share returns a new store whose data is registered's and
// which has no finalizer: deleting it calls nothing. It is set up as
// spinoci_core_store_setup sets a store up with handle and max_memory.
spinoci_shared_store_t spinoci_store_share(wasm_engine_t *engine, wasmtime_store_t *registered, uintptr_t handle,
                                           int64_t max_memory) {
  spinoci_shared_store_t s;
  s.store = wasmtime_store_new(engine, wasmtime_context_get_data(wasmtime_store_context(registered)), NULL);
  s.context = spinoci_core_store_setup(s.store, handle, max_memory);
  return s;
}

// spinoci_instantiate_exports instantiates pre in store into *instance
// and, if that succeeds and names is not NULL, looks up its exports as
// spinoci_core_exports does into memory, funcs and *found.
wasmtime_error_t *spinoci_instantiate_exports(const wasmtime_instance_pre_t *pre, wasmtime_context_t *store,
                                              wasmtime_instance_t *instance, wasm_trap_t **trap, const char *names,
                                              const size_t *ends, size_t nfuncs, wasmtime_memory_t *memory,
                                              wasmtime_func_t *funcs, uint64_t *found) {
  wasmtime_error_t *err = wasmtime_instance_pre_instantiate(pre, store, instance, trap);
  if (err == NULL && *trap == NULL && names != NULL) {
    *found = spinoci_core_exports(store, instance, names, ends, nfuncs, memory, funcs);
  }
  return err;
}
