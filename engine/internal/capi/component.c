// Component glue: trampolines from wasmtime callbacks into exported Go
// functions (the void* user data carries a cgo.Handle) and bulk list<u8>
// conversion.
#include "capi.h"

static wasmtime_error_t *spinoci_func_trampoline(void *data, wasmtime_context_t *ctx,
                                                 const wasmtime_component_func_type_t *ty,
                                                 wasmtime_component_val_t *args, size_t nargs,
                                                 wasmtime_component_val_t *results, size_t nresults) {
  (void)ty;
  return spinociHostCall((uintptr_t)data, ctx, args, nargs, results, nresults);
}

static wasmtime_error_t *spinoci_resource_trampoline(void *data, wasmtime_context_t *ctx, uint32_t rep) {
  return spinociResourceDrop((uintptr_t)data, ctx, rep);
}

static void spinoci_finalize(void *data) { spinociFinalize((uintptr_t)data); }

wasmtime_store_t *spinoci_store_new(wasm_engine_t *engine, uintptr_t handle) {
  return wasmtime_store_new(engine, (void *)handle, NULL);
}

static wasmtime_error_t *spinoci_deadline_trampoline(wasmtime_context_t *ctx, void *data, uint64_t *delta,
                                                     wasmtime_update_deadline_kind_t *kind) {
  (void)data;
  *kind = WASMTIME_UPDATE_DEADLINE_CONTINUE;
  return spinociEpochDeadline(ctx, delta);
}

void spinoci_store_on_deadline(wasmtime_store_t *store) {
  wasmtime_store_epoch_deadline_callback(store, spinoci_deadline_trampoline, NULL, NULL);
}

uintptr_t spinoci_context_handle(const wasmtime_context_t *ctx) {
  return (uintptr_t)wasmtime_context_get_data(ctx);
}

wasmtime_error_t *spinoci_add_func(wasmtime_component_linker_instance_t *li, const char *name, size_t len,
                                   uintptr_t handle) {
  return wasmtime_component_linker_instance_add_func(li, name, len, spinoci_func_trampoline, (void *)handle,
                                                      spinoci_finalize);
}

wasmtime_error_t *spinoci_add_resource(wasmtime_component_linker_instance_t *li, const char *name, size_t len,
                                       uint32_t ty, uintptr_t handle) {
  wasmtime_component_resource_type_t *rt = wasmtime_component_resource_type_new_host(ty);
  wasmtime_error_t *err = wasmtime_component_linker_instance_add_resource(
      li, name, len, rt, spinoci_resource_trampoline, (void *)handle, spinoci_finalize);
  wasmtime_component_resource_type_delete(rt);
  return err;
}

void spinoci_bytes_to_list(wasmtime_component_val_t *out, const uint8_t *data, size_t len) {
  out->kind = WASMTIME_COMPONENT_LIST;
  wasmtime_component_vallist_new_uninit(&out->of.list, len);
  wasmtime_component_val_t *v = out->of.list.data;
  for (size_t i = 0; i < len; i++) {
    v[i].kind = WASMTIME_COMPONENT_U8;
    v[i].of.u8 = data[i];
  }
}

bool spinoci_list_is_bytes(const wasmtime_component_val_t *list) {
  const wasmtime_component_val_t *v = list->of.list.data;
  for (size_t i = 0; i < list->of.list.size; i++) {
    if (v[i].kind != WASMTIME_COMPONENT_U8) return false;
  }
  return true;
}

void spinoci_list_to_bytes(const wasmtime_component_val_t *list, uint8_t *out) {
  const wasmtime_component_val_t *v = list->of.list.data;
  for (size_t i = 0; i < list->of.list.size; i++) out[i] = v[i].of.u8;
}
