// The part of Wasmtime's C API (wasm.h, wasi.h, wasmtime.h and
// wasmtime/component.h as shipped with wasmtime-go v39.0.1) that this
// package uses: only the prototypes, types and constants it relies on. The
// symbols come from the libwasmtime.a that wasmtime-go links.
//
// cgo cannot include wasmtime-go's headers (the include path is that of
// another module), so the declarations are this package's own. The layout
// test (go test ./engine/internal/capi) compiles this file with
// SPINOCI_CAPI_CHECK defined: the types then come from the pinned headers,
// every prototype below must agree with theirs, and the sizes, offsets and
// constants the Go side uses are compared with the headers' values.
#ifndef SPINOCI_CAPI_H
#define SPINOCI_CAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef SPINOCI_CAPI_CHECK
#include <wasmtime.h>
#else

typedef char wasm_byte_t;
typedef struct wasm_byte_vec_t {
  size_t size;
  wasm_byte_t *data;
} wasm_byte_vec_t;
typedef wasm_byte_vec_t wasm_name_t;
typedef wasm_name_t wasm_message_t;

typedef struct wasm_engine_t wasm_engine_t;
typedef struct wasm_config_t wasm_config_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasi_config_t wasi_config_t;
typedef struct wasmtime_linker wasmtime_linker_t;
typedef struct wasmtime_module wasmtime_module_t;
typedef struct wasmtime_instance_pre wasmtime_instance_pre_t;
typedef struct wasmtime_pooling_allocation_config_t wasmtime_pooling_allocation_config_t;

typedef uint8_t wasmtime_opt_level_t;
#define WASMTIME_OPT_LEVEL_NONE 0
#define WASMTIME_OPT_LEVEL_SPEED 1

typedef uint8_t wasmtime_update_deadline_kind_t;
#define WASMTIME_UPDATE_DEADLINE_CONTINUE 0

// Core instances and their exports (wasmtime/instance.h, extern.h, val.h).
// wasmtime-go's Instance, Func and Memory are these structs.
typedef struct wasmtime_instance {
  uint64_t store_id;
  size_t __private;
} wasmtime_instance_t;
typedef struct wasmtime_func {
  uint64_t store_id;
  void *__private;
} wasmtime_func_t;
typedef struct wasmtime_table {
  struct {
    uint64_t store_id;
    uint32_t __private1;
  };
  uint32_t __private2;
} wasmtime_table_t;
typedef struct wasmtime_memory {
  struct {
    uint64_t store_id;
    uint32_t __private1;
  };
  uint32_t __private2;
} wasmtime_memory_t;
typedef struct wasmtime_global {
  uint64_t store_id;
  uint32_t __private1;
  uint32_t __private2;
  uint32_t __private3;
} wasmtime_global_t;
typedef uint8_t wasmtime_extern_kind_t;
#define WASMTIME_EXTERN_FUNC 0
#define WASMTIME_EXTERN_MEMORY 3
typedef union wasmtime_extern_union {
  wasmtime_func_t func;
  wasmtime_global_t global;
  wasmtime_table_t table;
  wasmtime_memory_t memory;
  struct wasmtime_sharedmemory *sharedmemory;
} wasmtime_extern_union_t;
typedef struct wasmtime_extern {
  wasmtime_extern_kind_t kind;
  wasmtime_extern_union_t of;
} wasmtime_extern_t;

typedef uint8_t wasmtime_valkind_t;
#define WASMTIME_I32 0
// Of wasmtime_valunion_t only the members used here are spelled out; the
// largest ones (anyref, externref: u64, u32, u32, pointer) are what the
// padding stands for.
typedef union wasmtime_valunion {
  int32_t i32;
  int64_t i64;
  uint8_t __padding[24];
} wasmtime_valunion_t;
typedef struct wasmtime_val {
  wasmtime_valkind_t kind;
  wasmtime_valunion_t of;
} wasmtime_val_t;
typedef union wasmtime_val_raw {
  int32_t i32;
  int64_t i64;
  uint8_t v128[16];
  void *funcref;
} wasmtime_val_raw_t;

// Components (wasmtime/component/*.h).
typedef struct wasmtime_component_t wasmtime_component_t;
typedef struct wasmtime_component_export_index_t wasmtime_component_export_index_t;
typedef struct wasmtime_component_linker_t wasmtime_component_linker_t;
typedef struct wasmtime_component_linker_instance_t wasmtime_component_linker_instance_t;
typedef struct wasmtime_component_func_type_t wasmtime_component_func_type_t;
typedef struct wasmtime_component_resource_type wasmtime_component_resource_type_t;
typedef struct wasmtime_component_resource_any wasmtime_component_resource_any_t;
typedef struct wasmtime_component_resource_host wasmtime_component_resource_host_t;
typedef struct wasmtime_component_type_t wasmtime_component_type_t;
typedef struct wasmtime_component_instance_type wasmtime_component_instance_type_t;

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

// Component types (wasmtime/component/types/*.h), for walking imports: the
// unions are pointers to opaque types except for valtype's own union.
typedef uint8_t wasmtime_component_valtype_kind_t;
typedef struct wasmtime_component_valtype_t {
  wasmtime_component_valtype_kind_t kind;
  union {
    void *__ptr;
  } of;
} wasmtime_component_valtype_t;
typedef uint8_t wasmtime_component_item_kind_t;
#define WASMTIME_COMPONENT_ITEM_COMPONENT_INSTANCE 1
#define WASMTIME_COMPONENT_ITEM_COMPONENT_FUNC 3
#define WASMTIME_COMPONENT_ITEM_RESOURCE 4
#define WASMTIME_COMPONENT_ITEM_TYPE 6
typedef union wasmtime_component_item_union {
  wasmtime_component_instance_type_t *component_instance;
  wasmtime_component_resource_type_t *resource;
  wasmtime_component_valtype_t type;
} wasmtime_component_item_union_t;
typedef struct wasmtime_component_item_t {
  wasmtime_component_item_kind_t kind;
  wasmtime_component_item_union_t of;
} wasmtime_component_item_t;

// Component values (wasmtime/component/val.h).
typedef uint8_t wasmtime_component_valkind_t;
#define WASMTIME_COMPONENT_BOOL 0
#define WASMTIME_COMPONENT_S8 1
#define WASMTIME_COMPONENT_U8 2
#define WASMTIME_COMPONENT_S16 3
#define WASMTIME_COMPONENT_U16 4
#define WASMTIME_COMPONENT_S32 5
#define WASMTIME_COMPONENT_U32 6
#define WASMTIME_COMPONENT_S64 7
#define WASMTIME_COMPONENT_U64 8
#define WASMTIME_COMPONENT_F32 9
#define WASMTIME_COMPONENT_F64 10
#define WASMTIME_COMPONENT_CHAR 11
#define WASMTIME_COMPONENT_STRING 12
#define WASMTIME_COMPONENT_LIST 13
#define WASMTIME_COMPONENT_RECORD 14
#define WASMTIME_COMPONENT_TUPLE 15
#define WASMTIME_COMPONENT_VARIANT 16
#define WASMTIME_COMPONENT_ENUM 17
#define WASMTIME_COMPONENT_OPTION 18
#define WASMTIME_COMPONENT_RESULT 19
#define WASMTIME_COMPONENT_FLAGS 20
#define WASMTIME_COMPONENT_RESOURCE 21
struct wasmtime_component_val;
struct wasmtime_component_valrecord_entry;
typedef struct wasmtime_component_vallist {
  size_t size;
  struct wasmtime_component_val *data;
} wasmtime_component_vallist_t;
typedef struct wasmtime_component_valrecord {
  size_t size;
  struct wasmtime_component_valrecord_entry *data;
} wasmtime_component_valrecord_t;
typedef struct wasmtime_component_valtuple {
  size_t size;
  struct wasmtime_component_val *data;
} wasmtime_component_valtuple_t;
typedef struct wasmtime_component_valflags {
  size_t size;
  wasm_name_t *data;
} wasmtime_component_valflags_t;
typedef struct {
  wasm_name_t discriminant;
  struct wasmtime_component_val *val;
} wasmtime_component_valvariant_t;
typedef struct {
  bool is_ok;
  struct wasmtime_component_val *val;
} wasmtime_component_valresult_t;
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

typedef wasmtime_error_t *(*wasmtime_component_func_callback_t)(void *, wasmtime_context_t *,
                                                                 const wasmtime_component_func_type_t *,
                                                                 wasmtime_component_val_t *, size_t,
                                                                 wasmtime_component_val_t *, size_t);
typedef wasmtime_error_t *(*wasmtime_component_resource_destructor_t)(void *, wasmtime_context_t *, uint32_t);

#endif // SPINOCI_CAPI_CHECK

// Engines, errors, byte vectors, text.
extern wasm_config_t *wasm_config_new(void);
extern void wasmtime_config_epoch_interruption_set(wasm_config_t *, bool);
extern void wasmtime_config_cranelift_opt_level_set(wasm_config_t *, wasmtime_opt_level_t);
extern void wasmtime_config_parallel_compilation_set(wasm_config_t *, bool);
extern void wasmtime_config_cranelift_flag_set(wasm_config_t *, const char *key, const char *value);
extern void wasmtime_config_native_unwind_info_set(wasm_config_t *, bool);
extern void wasmtime_config_strategy_set(wasm_config_t *, uint8_t);
extern void wasm_config_delete(wasm_config_t *);
extern wasmtime_error_t *wasmtime_module_new(wasm_engine_t *, const uint8_t *, size_t, wasmtime_module_t **);
extern wasmtime_error_t *wasmtime_module_serialize(wasmtime_module_t *, wasm_byte_vec_t *);
extern void wasmtime_module_delete(wasmtime_module_t *);
extern wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *);
extern void wasm_engine_delete(wasm_engine_t *);
extern void wasmtime_engine_increment_epoch(wasm_engine_t *);
extern void wasm_byte_vec_new(wasm_byte_vec_t *out, size_t size, const wasm_byte_t *data);
extern void wasm_byte_vec_delete(wasm_byte_vec_t *);
extern wasmtime_error_t *wasmtime_error_new(const char *);
extern void wasmtime_error_message(const wasmtime_error_t *, wasm_name_t *message);
extern void wasmtime_error_delete(wasmtime_error_t *);
extern void wasm_trap_message(const wasm_trap_t *, wasm_message_t *out);
extern void wasm_trap_delete(wasm_trap_t *);
extern wasmtime_error_t *wasmtime_wat2wasm(const char *wat, size_t wat_len, wasm_byte_vec_t *ret);

// The pooling allocator (wasmtime/config.h).
extern wasmtime_pooling_allocation_config_t *wasmtime_pooling_allocation_config_new(void);
extern void wasmtime_pooling_allocation_config_delete(wasmtime_pooling_allocation_config_t *);
extern void wasmtime_pooling_allocation_strategy_set(wasm_config_t *, const wasmtime_pooling_allocation_config_t *);
extern void wasmtime_pooling_allocation_config_total_core_instances_set(wasmtime_pooling_allocation_config_t *,
                                                                        uint32_t);
extern void wasmtime_pooling_allocation_config_total_memories_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_total_tables_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_total_stacks_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_max_memory_size_set(wasmtime_pooling_allocation_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_table_elements_set(wasmtime_pooling_allocation_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_max_core_instance_size_set(wasmtime_pooling_allocation_config_t *,
                                                                          size_t);
extern void wasmtime_pooling_allocation_config_max_memories_per_module_set(wasmtime_pooling_allocation_config_t *,
                                                                           uint32_t);
extern void wasmtime_pooling_allocation_config_max_tables_per_module_set(wasmtime_pooling_allocation_config_t *,
                                                                         uint32_t);
extern void wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(
    wasmtime_pooling_allocation_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_table_keep_resident_set(wasmtime_pooling_allocation_config_t *,
                                                                       size_t);
extern void wasmtime_pooling_allocation_config_decommit_batch_size_set(wasmtime_pooling_allocation_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_total_component_instances_set(wasmtime_pooling_allocation_config_t *,
                                                                             uint32_t);
extern void wasmtime_pooling_allocation_config_max_component_instance_size_set(wasmtime_pooling_allocation_config_t *,
                                                                               size_t);
extern void wasmtime_pooling_allocation_config_max_core_instances_per_component_set(
    wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_max_memories_per_component_set(wasmtime_pooling_allocation_config_t *,
                                                                              uint32_t);
extern void wasmtime_pooling_allocation_config_max_tables_per_component_set(wasmtime_pooling_allocation_config_t *,
                                                                            uint32_t);

// WASI output (wasi.h).
extern void wasi_config_set_stdout_custom(wasi_config_t *, ptrdiff_t (*callback)(void *, const unsigned char *, size_t),
                                          void *data, void (*finalizer)(void *));
extern void wasi_config_set_stderr_custom(wasi_config_t *, ptrdiff_t (*callback)(void *, const unsigned char *, size_t),
                                          void *data, void (*finalizer)(void *));

// Core instances and calls.
extern bool wasmtime_instance_export_get(wasmtime_context_t *store, const wasmtime_instance_t *instance,
                                         const char *name, size_t name_len, wasmtime_extern_t *item);
extern void wasmtime_extern_delete(wasmtime_extern_t *);
extern uint8_t *wasmtime_memory_data(const wasmtime_context_t *store, const wasmtime_memory_t *memory);
extern size_t wasmtime_memory_data_size(const wasmtime_context_t *store, const wasmtime_memory_t *memory);
extern wasmtime_error_t *wasmtime_func_call(wasmtime_context_t *store, const wasmtime_func_t *func,
                                            const wasmtime_val_t *args, size_t nargs, wasmtime_val_t *results,
                                            size_t nresults, wasm_trap_t **trap);
extern wasmtime_error_t *wasmtime_func_call_unchecked(wasmtime_context_t *store, const wasmtime_func_t *func,
                                                      wasmtime_val_raw_t *args_and_results,
                                                      size_t args_and_results_len, wasm_trap_t **trap);

// Core instantiation with imports resolved once.
extern wasmtime_error_t *wasmtime_linker_instantiate_pre(const wasmtime_linker_t *linker,
                                                         const wasmtime_module_t *module,
                                                         wasmtime_instance_pre_t **instance_pre);
extern wasmtime_error_t *wasmtime_instance_pre_instantiate(const wasmtime_instance_pre_t *instance_pre,
                                                           wasmtime_context_t *store, wasmtime_instance_t *instance,
                                                           wasm_trap_t **trap_ptr);
extern void wasmtime_instance_pre_delete(wasmtime_instance_pre_t *instance_pre);

// Stores.
extern wasmtime_store_t *wasmtime_store_new(wasm_engine_t *engine, void *data, void (*finalizer)(void *));
extern wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *);
extern void wasmtime_store_delete(wasmtime_store_t *);
extern void *wasmtime_context_get_data(const wasmtime_context_t *);
extern void wasmtime_context_set_epoch_deadline(wasmtime_context_t *, uint64_t ticks_beyond_current);
extern void wasmtime_store_epoch_deadline_callback(
    wasmtime_store_t *store,
    wasmtime_error_t *(*func)(wasmtime_context_t *context, void *data, uint64_t *epoch_deadline_delta,
                              wasmtime_update_deadline_kind_t *update_kind),
    void *data, void (*finalizer)(void *));
extern void wasmtime_store_limiter(wasmtime_store_t *store, int64_t memory_size, int64_t table_elements,
                                   int64_t instances, int64_t tables, int64_t memories);
extern void wasi_config_set_stdin_bytes(wasi_config_t *config, wasm_byte_vec_t *binary);

// Components.
extern wasmtime_error_t *wasmtime_component_new(const wasm_engine_t *, const uint8_t *buf, size_t len,
                                                wasmtime_component_t **out);
extern wasmtime_error_t *wasmtime_component_serialize(const wasmtime_component_t *, wasm_byte_vec_t *ret);
extern wasmtime_error_t *wasmtime_component_deserialize_file(const wasm_engine_t *, const char *path,
                                                             wasmtime_component_t **out);
extern void wasmtime_component_delete(wasmtime_component_t *);
extern wasmtime_component_export_index_t *wasmtime_component_get_export_index(
    const wasmtime_component_t *, const wasmtime_component_export_index_t *instance_export_index, const char *name,
    size_t name_len);
extern void wasmtime_component_export_index_delete(wasmtime_component_export_index_t *);

extern wasmtime_component_linker_t *wasmtime_component_linker_new(const wasm_engine_t *);
extern void wasmtime_component_linker_allow_shadowing(wasmtime_component_linker_t *, bool);
extern wasmtime_component_linker_instance_t *wasmtime_component_linker_root(wasmtime_component_linker_t *);
extern wasmtime_error_t *wasmtime_component_linker_instantiate(const wasmtime_component_linker_t *,
                                                               wasmtime_context_t *, const wasmtime_component_t *,
                                                               wasmtime_component_instance_t *out);
extern void wasmtime_component_linker_delete(wasmtime_component_linker_t *);
extern wasmtime_error_t *wasmtime_component_linker_instance_add_instance(wasmtime_component_linker_instance_t *,
                                                                         const char *name, size_t name_len,
                                                                         wasmtime_component_linker_instance_t **out);
extern wasmtime_error_t *wasmtime_component_linker_instance_add_func(wasmtime_component_linker_instance_t *,
                                                                     const char *name, size_t name_len,
                                                                     wasmtime_component_func_callback_t callback,
                                                                     void *data, void (*finalizer)(void *));
extern wasmtime_error_t *wasmtime_component_linker_instance_add_resource(
    wasmtime_component_linker_instance_t *, const char *name, size_t name_len,
    const wasmtime_component_resource_type_t *resource, wasmtime_component_resource_destructor_t destructor,
    void *data, void (*finalizer)(void *));
extern void wasmtime_component_linker_instance_delete(wasmtime_component_linker_instance_t *);

extern wasmtime_component_export_index_t *wasmtime_component_instance_get_export_index(
    const wasmtime_component_instance_t *, wasmtime_context_t *,
    const wasmtime_component_export_index_t *instance_export_index, const char *name, size_t name_len);
extern bool wasmtime_component_instance_get_func(const wasmtime_component_instance_t *, wasmtime_context_t *,
                                                 const wasmtime_component_export_index_t *,
                                                 wasmtime_component_func_t *out);
extern wasmtime_error_t *wasmtime_component_func_call(const wasmtime_component_func_t *, wasmtime_context_t *,
                                                      const wasmtime_component_val_t *args, size_t args_size,
                                                      wasmtime_component_val_t *results, size_t results_size);
extern wasmtime_error_t *wasmtime_component_func_post_return(const wasmtime_component_func_t *,
                                                             wasmtime_context_t *);

extern wasmtime_component_resource_type_t *wasmtime_component_resource_type_new_host(uint32_t ty);
extern void wasmtime_component_resource_type_delete(wasmtime_component_resource_type_t *);
extern bool wasmtime_component_resource_type_equal(const wasmtime_component_resource_type_t *,
                                                   const wasmtime_component_resource_type_t *);
extern wasmtime_component_resource_host_t *wasmtime_component_resource_host_new(bool owned, uint32_t rep,
                                                                                uint32_t ty);
extern uint32_t wasmtime_component_resource_host_rep(const wasmtime_component_resource_host_t *);
extern uint32_t wasmtime_component_resource_host_type(const wasmtime_component_resource_host_t *);
extern bool wasmtime_component_resource_host_owned(const wasmtime_component_resource_host_t *);
extern void wasmtime_component_resource_host_delete(wasmtime_component_resource_host_t *);
extern wasmtime_error_t *wasmtime_component_resource_any_to_host(wasmtime_context_t *,
                                                                 const wasmtime_component_resource_any_t *,
                                                                 wasmtime_component_resource_host_t **ret);
extern wasmtime_error_t *wasmtime_component_resource_host_to_any(wasmtime_context_t *,
                                                                 const wasmtime_component_resource_host_t *,
                                                                 wasmtime_component_resource_any_t **ret);

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

extern void wasmtime_component_vallist_new_uninit(wasmtime_component_vallist_t *, size_t);
extern void wasmtime_component_valrecord_new_uninit(wasmtime_component_valrecord_t *, size_t);
extern void wasmtime_component_valtuple_new_uninit(wasmtime_component_valtuple_t *, size_t);
extern void wasmtime_component_valflags_new_uninit(wasmtime_component_valflags_t *, size_t);
extern wasmtime_component_val_t *wasmtime_component_val_new(wasmtime_component_val_t *);
extern void wasmtime_component_val_delete(wasmtime_component_val_t *);

// This package's C helpers (component.c, core.c).
wasmtime_store_t *spinoci_store_new(wasm_engine_t *engine, uintptr_t handle);
uintptr_t spinoci_context_handle(const wasmtime_context_t *);
void spinoci_store_on_deadline(wasmtime_store_t *store);
wasmtime_error_t *spinoci_add_func(wasmtime_component_linker_instance_t *, const char *name, size_t len,
                                   uintptr_t handle);
wasmtime_error_t *spinoci_add_resource(wasmtime_component_linker_instance_t *, const char *name, size_t len,
                                       uint32_t ty, uintptr_t handle);
void spinoci_bytes_to_list(wasmtime_component_val_t *out, const uint8_t *data, size_t len);
// Returns false unless every element of the list is a u8.
bool spinoci_list_is_bytes(const wasmtime_component_val_t *list);
// Copies the list's u8 elements to out.
void spinoci_list_to_bytes(const wasmtime_component_val_t *list, uint8_t *out);

bool spinoci_export(wasmtime_context_t *store, const wasmtime_instance_t *instance, const char *name, size_t len,
                    wasmtime_extern_kind_t kind, void *out);
// spinoci_bytes_t and spinoci_call_result_t are returned by value: out
// parameters would make Go allocate the variables they point to.
typedef struct spinoci_bytes {
  uint8_t *data;
  size_t size;
} spinoci_bytes_t;
spinoci_bytes_t spinoci_memory(const wasmtime_context_t *store, const wasmtime_memory_t *memory);
typedef struct spinoci_call_result {
  size_t done;
  wasmtime_error_t *err;
  wasm_trap_t *trap;
  wasmtime_valkind_t bad_kind;
  spinoci_bytes_t memory;
} spinoci_call_result_t;
spinoci_call_result_t spinoci_call_each(wasmtime_context_t *store, const wasmtime_func_t *func, const int32_t *args,
                                        size_t nargs, size_t rows, int32_t *results, size_t nresults, bool unchecked,
                                        const wasmtime_memory_t *memory);
void spinoci_set_output_fd(wasi_config_t *config, bool to_stderr, int fd);
void spinoci_core_store_on_deadline(wasmtime_store_t *store, uintptr_t handle);
uint64_t spinoci_core_exports(wasmtime_context_t *store, const wasmtime_instance_t *instance, const char *names,
                              const size_t *ends, size_t nfuncs, wasmtime_memory_t *memory, wasmtime_func_t *funcs);
wasmtime_context_t *spinoci_core_store_setup(wasmtime_store_t *store, uintptr_t handle, int64_t max_memory);
typedef struct {
  wasmtime_store_t *store;
  wasmtime_context_t *context;
} spinoci_shared_store_t;
spinoci_shared_store_t spinoci_store_share(wasm_engine_t *engine, wasmtime_store_t *registered, uintptr_t handle,
                                           int64_t max_memory);
wasmtime_error_t *spinoci_instantiate_exports(const wasmtime_instance_pre_t *pre, wasmtime_context_t *store,
                                              wasmtime_instance_t *instance, wasm_trap_t **trap, const char *names,
                                              const size_t *ends, size_t nfuncs, wasmtime_memory_t *memory,
                                              wasmtime_func_t *funcs, uint64_t *found);
void spinoci_set_stdin_bytes(wasi_config_t *config, const uint8_t *data, size_t len);
// spinoci_floor_request's failures (otherwise it returns the body's length).
#define SPINOCI_FLOOR_FAILED -1
#define SPINOCI_FLOOR_NO_EXPORTS -2
int64_t spinoci_floor_request(wasm_engine_t *engine, const wasmtime_instance_pre_t *pre, uint8_t *body, size_t cap);

// Go functions the C helpers call back (//export in linker.go, store.go).
extern wasmtime_error_t *spinociHostCall(uintptr_t data, wasmtime_context_t *cx, wasmtime_component_val_t *args,
                                         size_t nargs, wasmtime_component_val_t *results, size_t nresults);
extern wasmtime_error_t *spinociResourceDrop(uintptr_t data, wasmtime_context_t *cx, uint32_t rep);
extern void spinociFinalize(uintptr_t data);
extern wasmtime_error_t *spinociEpochDeadline(wasmtime_context_t *cx, uint64_t *delta);
extern wasmtime_error_t *spinociCoreEpochDeadline(uintptr_t handle, uint64_t *delta);

#endif
