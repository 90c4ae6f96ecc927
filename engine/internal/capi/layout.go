package capi

/*
#include "capi.h"

// The alignments of capi.h's structs and unions as C sees them (cgo gives
// the types that contain a union an alignment of 1 in Go).
#define SPINOCI_ALIGNOF(T) enum { spinoci_alignof_##T = _Alignof(T) };
SPINOCI_ALIGNOF(wasm_byte_vec_t)
SPINOCI_ALIGNOF(wasm_name_t)
SPINOCI_ALIGNOF(wasmtime_instance_t)
SPINOCI_ALIGNOF(wasmtime_func_t)
SPINOCI_ALIGNOF(wasmtime_memory_t)
SPINOCI_ALIGNOF(wasmtime_table_t)
SPINOCI_ALIGNOF(wasmtime_global_t)
SPINOCI_ALIGNOF(wasmtime_extern_t)
SPINOCI_ALIGNOF(wasmtime_val_t)
SPINOCI_ALIGNOF(wasmtime_valunion_t)
SPINOCI_ALIGNOF(wasmtime_val_raw_t)
SPINOCI_ALIGNOF(wasmtime_component_instance_t)
SPINOCI_ALIGNOF(wasmtime_component_func_t)
SPINOCI_ALIGNOF(wasmtime_component_valtype_t)
SPINOCI_ALIGNOF(wasmtime_component_item_t)
SPINOCI_ALIGNOF(wasmtime_component_val_t)
SPINOCI_ALIGNOF(wasmtime_component_valunion_t)
SPINOCI_ALIGNOF(wasmtime_component_valrecord_entry_t)
*/
import "C"

import (
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// layoutFact is one size, offset, constant or type that this package's Go
// and C code rely on: a C expression, evaluated by the layout test against
// the pinned wasmtime-go's headers, and the value this package uses.
type layoutFact struct {
	expr string
	ours uint64
}

// layoutFacts lists every fact of Wasmtime's C ABI this package relies on.
// The values come from capi.h (through cgo), from the Go types the code
// casts C memory to, and from wasmtime-go's structs that it casts to C.
func layoutFacts() []layoutFact {
	var facts []layoutFact
	add := func(expr string, ours uintptr) {
		facts = append(facts, layoutFact{expr: expr, ours: uint64(ours)})
	}
	size := func(ctype string, size, align uintptr) {
		add("sizeof("+ctype+")", size)
		add("_Alignof("+ctype+")", align)
	}
	offset := func(ctype, field string, off uintptr) {
		add("offsetof("+ctype+", "+field+")", off)
	}
	// member states that field of ctype (a union member the Go code reads
	// by casting) has type mtype, of size msize.
	member := func(ctype, field, mtype string, msize uintptr) {
		lvalue := "((" + ctype + " *)0)->" + field
		add("sizeof("+lvalue+")", msize)
		add("__builtin_types_compatible_p(__typeof__("+lvalue+"), "+mtype+")", 1)
	}
	constant := func(name string, v uint64) {
		facts = append(facts, layoutFact{expr: name, ours: v})
	}

	// Byte vectors and names.
	size("wasm_byte_vec_t", C.sizeof_wasm_byte_vec_t, C.spinoci_alignof_wasm_byte_vec_t)
	offset("wasm_byte_vec_t", "size", unsafe.Offsetof(C.wasm_byte_vec_t{}.size))
	offset("wasm_byte_vec_t", "data", unsafe.Offsetof(C.wasm_byte_vec_t{}.data))
	add("sizeof(wasm_byte_t)", unsafe.Sizeof(C.wasm_byte_t(0)))
	size("wasm_name_t", C.sizeof_wasm_name_t, C.spinoci_alignof_wasm_name_t)
	size("wasmtime_update_deadline_kind_t", unsafe.Sizeof(C.wasmtime_update_deadline_kind_t(0)), unsafe.Alignof(C.wasmtime_update_deadline_kind_t(0)))
	constant("WASMTIME_UPDATE_DEADLINE_CONTINUE", C.WASMTIME_UPDATE_DEADLINE_CONTINUE)

	// Core modules: wasmtime-go's Instance, Func, Memory, Config and
	// WasiConfig are cast to these.
	size("wasmtime_instance_t", C.sizeof_wasmtime_instance_t, C.spinoci_alignof_wasmtime_instance_t)
	size("wasmtime_instance_t /* wasmtime.Instance */", unsafe.Sizeof(wasmtime.Instance{}), unsafe.Alignof(wasmtime.Instance{}))
	size("wasmtime_func_t", C.sizeof_wasmtime_func_t, C.spinoci_alignof_wasmtime_func_t)
	size("wasmtime_func_t /* wasmtime.Func */", unsafe.Sizeof(wasmtime.Func{}), unsafe.Alignof(wasmtime.Func{}))
	size("wasmtime_memory_t", C.sizeof_wasmtime_memory_t, C.spinoci_alignof_wasmtime_memory_t)
	size("wasmtime_memory_t /* wasmtime.Memory */", unsafe.Sizeof(wasmtime.Memory{}), unsafe.Alignof(wasmtime.Memory{}))
	size("wasmtime_table_t", C.sizeof_wasmtime_table_t, C.spinoci_alignof_wasmtime_table_t)
	size("wasmtime_global_t", C.sizeof_wasmtime_global_t, C.spinoci_alignof_wasmtime_global_t)
	size("wasm_config_t * /* wasmtime.Config */", unsafe.Sizeof(wasmtime.Config{}), unsafe.Alignof(wasmtime.Config{}))
	size("wasi_config_t * /* wasmtime.WasiConfig */", unsafe.Sizeof(wasmtime.WasiConfig{}), unsafe.Alignof(wasmtime.WasiConfig{}))
	size("wasmtime_extern_kind_t", unsafe.Sizeof(C.wasmtime_extern_kind_t(0)), unsafe.Alignof(C.wasmtime_extern_kind_t(0)))
	size("wasmtime_extern_t", C.sizeof_wasmtime_extern_t, C.spinoci_alignof_wasmtime_extern_t)
	offset("wasmtime_extern_t", "kind", unsafe.Offsetof(C.wasmtime_extern_t{}.kind))
	offset("wasmtime_extern_t", "of", unsafe.Offsetof(C.wasmtime_extern_t{}.of))
	member("wasmtime_extern_union_t", "func", "wasmtime_func_t", C.sizeof_wasmtime_func_t)
	member("wasmtime_extern_union_t", "memory", "wasmtime_memory_t", C.sizeof_wasmtime_memory_t)
	constant("WASMTIME_EXTERN_FUNC", C.WASMTIME_EXTERN_FUNC)
	constant("WASMTIME_EXTERN_MEMORY", C.WASMTIME_EXTERN_MEMORY)
	size("wasmtime_valkind_t", unsafe.Sizeof(C.wasmtime_valkind_t(0)), unsafe.Alignof(C.wasmtime_valkind_t(0)))
	size("wasmtime_val_t", C.sizeof_wasmtime_val_t, C.spinoci_alignof_wasmtime_val_t)
	offset("wasmtime_val_t", "kind", unsafe.Offsetof(C.wasmtime_val_t{}.kind))
	offset("wasmtime_val_t", "of", unsafe.Offsetof(C.wasmtime_val_t{}.of))
	size("wasmtime_valunion_t", C.sizeof_wasmtime_valunion_t, C.spinoci_alignof_wasmtime_valunion_t)
	member("wasmtime_valunion_t", "i32", "int32_t", 4)
	member("wasmtime_valunion_t", "i64", "int64_t", 8)
	constant("WASMTIME_I32", C.WASMTIME_I32)
	size("wasmtime_val_raw_t", C.sizeof_wasmtime_val_raw_t, C.spinoci_alignof_wasmtime_val_raw_t)
	member("wasmtime_val_raw_t", "i32", "int32_t", 4)
	member("wasmtime_val_raw_t", "i64", "int64_t", 8)

	// Components.
	size("wasmtime_component_instance_t", C.sizeof_wasmtime_component_instance_t, C.spinoci_alignof_wasmtime_component_instance_t)
	size("wasmtime_component_func_t", C.sizeof_wasmtime_component_func_t, C.spinoci_alignof_wasmtime_component_func_t)
	size("wasmtime_component_valtype_t", C.sizeof_wasmtime_component_valtype_t, C.spinoci_alignof_wasmtime_component_valtype_t)
	size("wasmtime_component_item_kind_t", unsafe.Sizeof(C.wasmtime_component_item_kind_t(0)), unsafe.Alignof(C.wasmtime_component_item_kind_t(0)))
	size("wasmtime_component_item_t", C.sizeof_wasmtime_component_item_t, C.spinoci_alignof_wasmtime_component_item_t)
	add("_Alignof(wasmtime_component_item_t) /* Go-allocated: alignedC */", unsafe.Alignof(alignedC[C.wasmtime_component_item_t]{}))
	offset("wasmtime_component_item_t", "kind", unsafe.Offsetof(C.wasmtime_component_item_t{}.kind))
	offset("wasmtime_component_item_t", "of", unsafe.Offsetof(C.wasmtime_component_item_t{}.of))
	member("wasmtime_component_item_union_t", "component_instance", "wasmtime_component_instance_type_t *", unsafe.Sizeof((*C.wasmtime_component_instance_type_t)(nil)))
	member("wasmtime_component_item_union_t", "resource", "wasmtime_component_resource_type_t *", unsafe.Sizeof((*C.wasmtime_component_resource_type_t)(nil)))
	for _, k := range []struct {
		name string
		v    uint64
	}{
		{"WASMTIME_COMPONENT_ITEM_COMPONENT_INSTANCE", itemInstance},
		{"WASMTIME_COMPONENT_ITEM_COMPONENT_FUNC", itemFunc},
		{"WASMTIME_COMPONENT_ITEM_RESOURCE", itemResource},
		{"WASMTIME_COMPONENT_ITEM_TYPE", itemType},
	} {
		constant(k.name, k.v)
	}

	size("wasmtime_component_valkind_t", unsafe.Sizeof(C.wasmtime_component_valkind_t(0)), unsafe.Alignof(C.wasmtime_component_valkind_t(0)))
	size("wasmtime_component_val_t", valSize, C.spinoci_alignof_wasmtime_component_val_t)
	add("_Alignof(wasmtime_component_val_t) /* Go-allocated: alignedC */", unsafe.Alignof(alignedC[C.wasmtime_component_val_t]{}))
	offset("wasmtime_component_val_t", "kind", unsafe.Offsetof(C.wasmtime_component_val_t{}.kind))
	offset("wasmtime_component_val_t", "of", unsafe.Offsetof(C.wasmtime_component_val_t{}.of))
	size("wasmtime_component_valunion_t", C.sizeof_wasmtime_component_valunion_t, C.spinoci_alignof_wasmtime_component_valunion_t)
	const union = "wasmtime_component_valunion_t"
	member(union, "boolean", "bool", unsafe.Sizeof(C.bool(false)))
	member(union, "s8", "int8_t", unsafe.Sizeof(C.int8_t(0)))
	member(union, "u8", "uint8_t", unsafe.Sizeof(C.uint8_t(0)))
	member(union, "s16", "int16_t", unsafe.Sizeof(C.int16_t(0)))
	member(union, "u16", "uint16_t", unsafe.Sizeof(C.uint16_t(0)))
	member(union, "s32", "int32_t", unsafe.Sizeof(C.int32_t(0)))
	member(union, "u32", "uint32_t", unsafe.Sizeof(C.uint32_t(0)))
	member(union, "s64", "int64_t", unsafe.Sizeof(C.int64_t(0)))
	member(union, "u64", "uint64_t", unsafe.Sizeof(C.uint64_t(0)))
	member(union, "f32", "float", unsafe.Sizeof(C.float(0)))
	member(union, "f64", "double", unsafe.Sizeof(C.double(0)))
	member(union, "character", "uint32_t", unsafe.Sizeof(C.uint32_t(0)))
	member(union, "string", "wasm_name_t", C.sizeof_wasm_name_t)
	member(union, "enumeration", "wasm_name_t", C.sizeof_wasm_name_t)
	member(union, "list", "wasmtime_component_vallist_t", C.sizeof_wasmtime_component_vallist_t)
	member(union, "record", "wasmtime_component_valrecord_t", C.sizeof_wasmtime_component_valrecord_t)
	member(union, "tuple", "wasmtime_component_valtuple_t", C.sizeof_wasmtime_component_valtuple_t)
	member(union, "flags", "wasmtime_component_valflags_t", C.sizeof_wasmtime_component_valflags_t)
	member(union, "variant", "wasmtime_component_valvariant_t", C.sizeof_wasmtime_component_valvariant_t)
	member(union, "result", "wasmtime_component_valresult_t", C.sizeof_wasmtime_component_valresult_t)
	member(union, "option", "wasmtime_component_val_t *", unsafe.Sizeof((*C.wasmtime_component_val_t)(nil)))
	member(union, "resource", "wasmtime_component_resource_any_t *", unsafe.Sizeof((*C.wasmtime_component_resource_any_t)(nil)))
	for _, v := range []struct {
		ctype      string
		size, data uintptr
	}{
		{"wasmtime_component_vallist_t", unsafe.Offsetof(C.wasmtime_component_vallist_t{}.size), unsafe.Offsetof(C.wasmtime_component_vallist_t{}.data)},
		{"wasmtime_component_valrecord_t", unsafe.Offsetof(C.wasmtime_component_valrecord_t{}.size), unsafe.Offsetof(C.wasmtime_component_valrecord_t{}.data)},
		{"wasmtime_component_valtuple_t", unsafe.Offsetof(C.wasmtime_component_valtuple_t{}.size), unsafe.Offsetof(C.wasmtime_component_valtuple_t{}.data)},
		{"wasmtime_component_valflags_t", unsafe.Offsetof(C.wasmtime_component_valflags_t{}.size), unsafe.Offsetof(C.wasmtime_component_valflags_t{}.data)},
	} {
		offset(v.ctype, "size", v.size)
		offset(v.ctype, "data", v.data)
	}
	member("wasmtime_component_vallist_t", "data", "wasmtime_component_val_t *", unsafe.Sizeof((*C.wasmtime_component_val_t)(nil)))
	member("wasmtime_component_valtuple_t", "data", "wasmtime_component_val_t *", unsafe.Sizeof((*C.wasmtime_component_val_t)(nil)))
	member("wasmtime_component_valrecord_t", "data", "wasmtime_component_valrecord_entry_t *", unsafe.Sizeof((*C.wasmtime_component_valrecord_entry_t)(nil)))
	member("wasmtime_component_valflags_t", "data", "wasm_name_t *", unsafe.Sizeof((*C.wasm_name_t)(nil)))
	offset("wasmtime_component_valvariant_t", "discriminant", unsafe.Offsetof(C.wasmtime_component_valvariant_t{}.discriminant))
	offset("wasmtime_component_valvariant_t", "val", unsafe.Offsetof(C.wasmtime_component_valvariant_t{}.val))
	offset("wasmtime_component_valresult_t", "is_ok", unsafe.Offsetof(C.wasmtime_component_valresult_t{}.is_ok))
	offset("wasmtime_component_valresult_t", "val", unsafe.Offsetof(C.wasmtime_component_valresult_t{}.val))
	size("wasmtime_component_valrecord_entry_t", C.sizeof_wasmtime_component_valrecord_entry_t, C.spinoci_alignof_wasmtime_component_valrecord_entry_t)
	offset("wasmtime_component_valrecord_entry_t", "name", unsafe.Offsetof(C.wasmtime_component_valrecord_entry_t{}.name))
	offset("wasmtime_component_valrecord_entry_t", "val", unsafe.Offsetof(C.wasmtime_component_valrecord_entry_t{}.val))
	for _, k := range []struct {
		name string
		v    uint64
	}{
		{"BOOL", kindBool}, {"S8", kindS8}, {"U8", kindU8}, {"S16", kindS16}, {"U16", kindU16},
		{"S32", kindS32}, {"U32", kindU32}, {"S64", kindS64}, {"U64", kindU64}, {"F32", kindF32},
		{"F64", kindF64}, {"CHAR", kindChar}, {"STRING", kindString}, {"LIST", kindList},
		{"RECORD", kindRecord}, {"TUPLE", kindTuple}, {"VARIANT", kindVariant}, {"ENUM", kindEnum},
		{"OPTION", kindOption}, {"RESULT", kindResult}, {"FLAGS", kindFlags}, {"RESOURCE", kindResource},
	} {
		constant("WASMTIME_COMPONENT_"+k.name, k.v)
	}
	return facts
}
