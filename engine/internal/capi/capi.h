// Declarations of the part of Wasmtime's C API (wasm.h, wasmtime/*.h and
// wasmtime/component/*.h as shipped with wasmtime-go v39.0.1) that this
// package uses. The symbols come from the libwasmtime.a that wasmtime-go
// links; only the prototypes and struct layouts we rely on are declared here.
#ifndef SPINOCI_COMPONENT_CAPI_H
#define SPINOCI_COMPONENT_CAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wasmtime_component_val;
typedef struct wasm_engine_t wasm_engine_t;
typedef struct wasm_config_t wasm_config_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;

typedef struct wasm_byte_vec_t {
  size_t size;
  uint8_t *data;
} wasm_byte_vec_t;
typedef wasm_byte_vec_t wasm_name_t;

extern wasm_config_t *wasm_config_new(void);
extern void wasmtime_config_epoch_interruption_set(wasm_config_t *, bool);
extern wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *);
extern void wasm_engine_delete(wasm_engine_t *);
extern void wasmtime_engine_increment_epoch(wasm_engine_t *);
extern void wasm_byte_vec_new(wasm_byte_vec_t *out, size_t size, const uint8_t *data);
extern void wasm_byte_vec_delete(wasm_byte_vec_t *);

extern wasmtime_error_t *wasmtime_error_new(const char *);
extern void wasmtime_error_message(const wasmtime_error_t *, wasm_name_t *message);
extern void wasmtime_error_delete(wasmtime_error_t *);
extern wasmtime_error_t *wasmtime_wat2wasm(const char *wat, size_t wat_len, wasm_byte_vec_t *ret);

extern wasmtime_store_t *wasmtime_store_new(wasm_engine_t *engine, void *data, void (*finalizer)(void *));
extern wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *);
extern void wasmtime_store_delete(wasmtime_store_t *);
extern void *wasmtime_context_get_data(const wasmtime_context_t *);
extern void wasmtime_context_set_epoch_deadline(wasmtime_context_t *, uint64_t ticks_beyond_current);
typedef uint8_t wasmtime_update_deadline_kind_t;
extern void wasmtime_store_epoch_deadline_callback(
    wasmtime_store_t *store,
    wasmtime_error_t *(*func)(wasmtime_context_t *context, void *data, uint64_t *epoch_deadline_delta,
                              wasmtime_update_deadline_kind_t *update_kind),
    void *data, void (*finalizer)(void *));

// Components.
typedef struct wasmtime_component_t wasmtime_component_t;
typedef struct wasmtime_component_export_index_t wasmtime_component_export_index_t;
typedef struct wasmtime_component_linker_t wasmtime_component_linker_t;
typedef struct wasmtime_component_linker_instance_t wasmtime_component_linker_instance_t;
typedef struct wasmtime_component_func_type_t wasmtime_component_func_type_t;
typedef struct wasmtime_component_resource_type wasmtime_component_resource_type_t;
typedef struct wasmtime_component_resource_any wasmtime_component_resource_any_t;
typedef struct wasmtime_component_resource_host wasmtime_component_resource_host_t;

typedef struct wasmtime_component_instance {
  uint64_t store_id;
  uint32_t __private;
} wasmtime_component_instance_t;

typedef struct wasmtime_component_func {
  struct {
    uint64_t store_id;
    uint32_t __private1;
  };
  uint32_t __private2;
} wasmtime_component_func_t;

extern wasmtime_error_t *wasmtime_component_new(const wasm_engine_t *, const uint8_t *buf, size_t len, wasmtime_component_t **out);
extern wasmtime_error_t *wasmtime_component_serialize(const wasmtime_component_t *, wasm_byte_vec_t *ret);
extern wasmtime_error_t *wasmtime_component_deserialize_file(const wasm_engine_t *, const char *path, wasmtime_component_t **out);
extern void wasmtime_component_delete(wasmtime_component_t *);
extern wasmtime_component_export_index_t *wasmtime_component_get_export_index(
    const wasmtime_component_t *, const wasmtime_component_export_index_t *instance_export_index,
    const char *name, size_t name_len);
extern void wasmtime_component_export_index_delete(wasmtime_component_export_index_t *);

extern wasmtime_component_linker_t *wasmtime_component_linker_new(const wasm_engine_t *);
extern void wasmtime_component_linker_allow_shadowing(wasmtime_component_linker_t *, bool);
extern wasmtime_component_linker_instance_t *wasmtime_component_linker_root(wasmtime_component_linker_t *);
extern wasmtime_error_t *wasmtime_component_linker_instantiate(
    const wasmtime_component_linker_t *, wasmtime_context_t *, const wasmtime_component_t *,
    wasmtime_component_instance_t *out);
extern void wasmtime_component_linker_delete(wasmtime_component_linker_t *);
extern wasmtime_error_t *wasmtime_component_linker_instance_add_instance(
    wasmtime_component_linker_instance_t *, const char *name, size_t name_len,
    wasmtime_component_linker_instance_t **out);
typedef wasmtime_error_t *(*wasmtime_component_func_callback_t)(
    void *, wasmtime_context_t *, const wasmtime_component_func_type_t *,
    struct wasmtime_component_val *, size_t, struct wasmtime_component_val *, size_t);
extern wasmtime_error_t *wasmtime_component_linker_instance_add_func(
    wasmtime_component_linker_instance_t *, const char *name, size_t name_len,
    wasmtime_component_func_callback_t callback, void *data, void (*finalizer)(void *));
typedef wasmtime_error_t *(*wasmtime_component_resource_destructor_t)(void *, wasmtime_context_t *, uint32_t);
extern wasmtime_error_t *wasmtime_component_linker_instance_add_resource(
    wasmtime_component_linker_instance_t *, const char *name, size_t name_len,
    const wasmtime_component_resource_type_t *resource,
    wasmtime_component_resource_destructor_t destructor, void *data, void (*finalizer)(void *));
extern void wasmtime_component_linker_instance_delete(wasmtime_component_linker_instance_t *);

extern wasmtime_component_export_index_t *wasmtime_component_instance_get_export_index(
    const wasmtime_component_instance_t *, wasmtime_context_t *,
    const wasmtime_component_export_index_t *instance_export_index, const char *name, size_t name_len);
extern bool wasmtime_component_instance_get_func(
    const wasmtime_component_instance_t *, wasmtime_context_t *,
    const wasmtime_component_export_index_t *, wasmtime_component_func_t *out);
extern wasmtime_error_t *wasmtime_component_func_call(
    const wasmtime_component_func_t *, wasmtime_context_t *,
    const struct wasmtime_component_val *args, size_t args_size,
    struct wasmtime_component_val *results, size_t results_size);
extern wasmtime_error_t *wasmtime_component_func_post_return(const wasmtime_component_func_t *, wasmtime_context_t *);

extern wasmtime_component_resource_type_t *wasmtime_component_resource_type_new_host(uint32_t ty);
extern void wasmtime_component_resource_type_delete(wasmtime_component_resource_type_t *);
extern bool wasmtime_component_resource_any_owned(const wasmtime_component_resource_any_t *);
extern void wasmtime_component_resource_any_delete(wasmtime_component_resource_any_t *);
extern wasmtime_component_resource_host_t *wasmtime_component_resource_host_new(bool owned, uint32_t rep, uint32_t ty);
extern uint32_t wasmtime_component_resource_host_rep(const wasmtime_component_resource_host_t *);
extern uint32_t wasmtime_component_resource_host_type(const wasmtime_component_resource_host_t *);
extern bool wasmtime_component_resource_host_owned(const wasmtime_component_resource_host_t *);
extern void wasmtime_component_resource_host_delete(wasmtime_component_resource_host_t *);
extern wasmtime_error_t *wasmtime_component_resource_any_to_host(
    wasmtime_context_t *, const wasmtime_component_resource_any_t *, wasmtime_component_resource_host_t **ret);
extern wasmtime_error_t *wasmtime_component_resource_host_to_any(
    wasmtime_context_t *, const wasmtime_component_resource_host_t *, wasmtime_component_resource_any_t **ret);

// Component types (wasmtime/component/types/*.h), for walking imports.
typedef struct wasmtime_component_type_t wasmtime_component_type_t;
typedef struct wasmtime_component_instance_type wasmtime_component_instance_type_t;
typedef struct wasmtime_component_valtype_t {
  uint8_t kind;
  union { void *ptr; } of;
} wasmtime_component_valtype_t;
typedef struct wasmtime_component_item_t {
  uint8_t kind; // WASMTIME_COMPONENT_ITEM_*: 1 instance, 3 func, 4 resource
  union {
    void *ptr;
    wasmtime_component_instance_type_t *component_instance;
    wasmtime_component_resource_type_t *resource;
    wasmtime_component_valtype_t type;
  } of;
} wasmtime_component_item_t;
extern wasmtime_component_type_t *wasmtime_component_type(const wasmtime_component_t *);
extern void wasmtime_component_type_delete(wasmtime_component_type_t *);
extern size_t wasmtime_component_type_import_count(const wasmtime_component_type_t *, const wasm_engine_t *);
extern bool wasmtime_component_type_import_nth(const wasmtime_component_type_t *, const wasm_engine_t *, size_t nth,
                                               const char **name, size_t *name_len, wasmtime_component_item_t *ret);
extern size_t wasmtime_component_instance_type_export_count(const wasmtime_component_instance_type_t *,
                                                            const wasm_engine_t *);
extern bool wasmtime_component_instance_type_export_nth(const wasmtime_component_instance_type_t *,
                                                        const wasm_engine_t *, size_t nth, const char **name,
                                                        size_t *name_len, wasmtime_component_item_t *ret);
extern void wasmtime_component_item_delete(wasmtime_component_item_t *);
extern bool wasmtime_component_resource_type_equal(const wasmtime_component_resource_type_t *,
                                                   const wasmtime_component_resource_type_t *);

// Values (wasmtime/component/val.h).
typedef uint8_t wasmtime_component_valkind_t;
struct wasmtime_component_val;
struct wasmtime_component_valrecord_entry;
typedef struct { size_t size; struct wasmtime_component_val *data; } wasmtime_component_vallist_t;
typedef struct { size_t size; struct wasmtime_component_valrecord_entry *data; } wasmtime_component_valrecord_t;
typedef struct { size_t size; struct wasmtime_component_val *data; } wasmtime_component_valtuple_t;
typedef struct { size_t size; wasm_name_t *data; } wasmtime_component_valflags_t;
extern void wasmtime_component_vallist_new_uninit(wasmtime_component_vallist_t *, size_t);
extern void wasmtime_component_valrecord_new_uninit(wasmtime_component_valrecord_t *, size_t);
extern void wasmtime_component_valtuple_new_uninit(wasmtime_component_valtuple_t *, size_t);
extern void wasmtime_component_valflags_new_uninit(wasmtime_component_valflags_t *, size_t);
typedef struct { wasm_name_t discriminant; struct wasmtime_component_val *val; } wasmtime_component_valvariant_t;
typedef struct { bool is_ok; struct wasmtime_component_val *val; } wasmtime_component_valresult_t;
typedef union {
  bool boolean;
  int8_t s8;
  uint8_t u8;
  int16_t s16;
  uint16_t u16;
  int32_t s32;
  uint32_t u32;
  int64_t s64;
  uint64_t u64;
  float f32;
  double f64;
  uint32_t character;
  wasm_name_t string;
  wasmtime_component_vallist_t list;
  wasmtime_component_valrecord_t record;
  wasmtime_component_valtuple_t tuple;
  wasmtime_component_valvariant_t variant;
  wasm_name_t enumeration;
  struct wasmtime_component_val *option;
  wasmtime_component_valresult_t result;
  wasmtime_component_valflags_t flags;
  wasmtime_component_resource_any_t *resource;
} wasmtime_component_valunion_t;
typedef struct wasmtime_component_val {
  wasmtime_component_valkind_t kind;
  wasmtime_component_valunion_t of;
} wasmtime_component_val_t;
typedef struct wasmtime_component_valrecord_entry {
  wasm_name_t name;
  wasmtime_component_val_t val;
} wasmtime_component_valrecord_entry_t;
extern wasmtime_component_val_t *wasmtime_component_val_new(wasmtime_component_val_t *);
extern void wasmtime_component_val_free(wasmtime_component_val_t *);
extern void wasmtime_component_val_delete(wasmtime_component_val_t *);

// Helpers defined in helpers.c.
wasmtime_store_t *spinoci_store_new(wasm_engine_t *engine, uintptr_t handle);
uintptr_t spinoci_context_handle(const wasmtime_context_t *);
void spinoci_store_on_deadline(wasmtime_store_t *store);
wasmtime_error_t *spinoci_add_func(wasmtime_component_linker_instance_t *, const char *name, size_t len, uintptr_t handle);
wasmtime_error_t *spinoci_add_resource(wasmtime_component_linker_instance_t *, const char *name, size_t len,
                                       uint32_t ty, uintptr_t handle);
void spinoci_bytes_to_list(wasmtime_component_val_t *out, const uint8_t *data, size_t len);
// Returns false unless every element of the list is a u8; copies them to out (len elements).
bool spinoci_list_is_bytes(const wasmtime_component_val_t *list);
void spinoci_list_to_bytes(const wasmtime_component_val_t *list, uint8_t *out);

#endif
