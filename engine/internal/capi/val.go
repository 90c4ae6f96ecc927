package capi

/*
#include "capi.h"
#include <stdlib.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Value kinds (wasmtime_component_valkind_t).
const (
	kindBool     = C.WASMTIME_COMPONENT_BOOL
	kindS8       = C.WASMTIME_COMPONENT_S8
	kindU8       = C.WASMTIME_COMPONENT_U8
	kindS16      = C.WASMTIME_COMPONENT_S16
	kindU16      = C.WASMTIME_COMPONENT_U16
	kindS32      = C.WASMTIME_COMPONENT_S32
	kindU32      = C.WASMTIME_COMPONENT_U32
	kindS64      = C.WASMTIME_COMPONENT_S64
	kindU64      = C.WASMTIME_COMPONENT_U64
	kindF32      = C.WASMTIME_COMPONENT_F32
	kindF64      = C.WASMTIME_COMPONENT_F64
	kindChar     = C.WASMTIME_COMPONENT_CHAR
	kindString   = C.WASMTIME_COMPONENT_STRING
	kindList     = C.WASMTIME_COMPONENT_LIST
	kindRecord   = C.WASMTIME_COMPONENT_RECORD
	kindTuple    = C.WASMTIME_COMPONENT_TUPLE
	kindVariant  = C.WASMTIME_COMPONENT_VARIANT
	kindEnum     = C.WASMTIME_COMPONENT_ENUM
	kindOption   = C.WASMTIME_COMPONENT_OPTION
	kindResult   = C.WASMTIME_COMPONENT_RESULT
	kindFlags    = C.WASMTIME_COMPONENT_FLAGS
	kindResource = C.WASMTIME_COMPONENT_RESOURCE
)

// Val is a component-model value. The concrete types below mirror the WIT
// value kinds; Bytes is a list<u8> carried without per-element boxing.
type Val interface{ isVal() }

type (
	// Bool is a WIT bool.
	Bool bool
	// S8 is a WIT s8.
	S8 int8
	// U8 is a WIT u8.
	U8 uint8
	// S16 is a WIT s16.
	S16 int16
	// U16 is a WIT u16.
	U16 uint16
	// S32 is a WIT s32.
	S32 int32
	// U32 is a WIT u32.
	U32 uint32
	// S64 is a WIT s64.
	S64 int64
	// U64 is a WIT u64.
	U64 uint64
	// F32 is a WIT f32.
	F32 float32
	// F64 is a WIT f64.
	F64 float64
	// Char is a WIT char.
	Char rune
	// String is a WIT string.
	String string
	// List is a WIT list of any element type.
	List []Val
	// Bytes is a WIT list<u8>.
	Bytes []byte
	// Record is a WIT record; fields in declaration order.
	Record []Field
	// Tuple is a WIT tuple.
	Tuple []Val
	// Enum is a WIT enum case.
	Enum string
	// Flags are the set WIT flags.
	Flags []string
)

// Field is one record field.
type Field struct {
	Name string
	Val  Val
}

// Variant is a WIT variant case with an optional payload (nil for none).
type Variant struct {
	Case string
	Val  Val
}

// Option is a WIT option: None when Val is nil.
type Option struct{ Val Val }

// Result is a WIT result; Val is the ok or error payload (nil for none).
type Result struct {
	Ok  bool
	Val Val
}

// Resource is a handle to a host resource: its type id (as given to
// Instance.AddResource), its representation (the host's index) and whether
// the handle is owned or borrowed.
type Resource struct {
	Type  uint32
	Rep   uint32
	Owned bool
}

func (Bool) isVal()     {}
func (S8) isVal()       {}
func (U8) isVal()       {}
func (S16) isVal()      {}
func (U16) isVal()      {}
func (S32) isVal()      {}
func (U32) isVal()      {}
func (S64) isVal()      {}
func (U64) isVal()      {}
func (F32) isVal()      {}
func (F64) isVal()      {}
func (Char) isVal()     {}
func (String) isVal()   {}
func (List) isVal()     {}
func (Bytes) isVal()    {}
func (Record) isVal()   {}
func (Tuple) isVal()    {}
func (Enum) isVal()     {}
func (Flags) isVal()    {}
func (Variant) isVal()  {}
func (Option) isVal()   {}
func (Result) isVal()   {}
func (Resource) isVal() {}

// Ok is a result's ok case; Err its error case.
func Ok(v Val) Result  { return Result{Ok: true, Val: v} }
func Err(v Val) Result { return Result{Val: v} }

// Some is an option holding v; None the empty option.
func Some(v Val) Option { return Option{Val: v} }

// None is the empty option.
var None = Option{}

// errNotHost is returned when a resource handle is not a host resource.
var errNotHost = errors.New("resource is not a host resource")

// valSize is sizeof(wasmtime_component_val_t).
const valSize = C.sizeof_wasmtime_component_val_t

// valAt returns &base[i].
func valAt(base *C.wasmtime_component_val_t, i int) *C.wasmtime_component_val_t {
	return (*C.wasmtime_component_val_t)(unsafe.Add(unsafe.Pointer(base), i*valSize))
}

// alignedC holds a C value that Go allocates and C reads or writes. cgo
// gives C types that contain a union an alignment of 1 in Go; this wrapper
// gives them the 8 bytes C aligns them to (the layout test checks it).
type alignedC[T any] struct {
	_ [0]uint64
	v T
}

func union[T any](v *C.wasmtime_component_val_t) *T {
	return (*T)(unsafe.Pointer(&v.of))
}

func goName(n *C.wasm_name_t) string {
	if n.size == 0 {
		return ""
	}
	return C.GoStringN(n.data, C.int(n.size))
}

// takeName converts n, which the caller owns, to Go and deletes it.
func takeName(n *C.wasm_name_t) string {
	s := goName(n)
	C.wasm_byte_vec_delete(n)
	return s
}

func newName(out *C.wasm_name_t, s string) {
	if s == "" {
		C.wasm_byte_vec_new(out, 0, nil)
		return
	}
	p := C.CBytes([]byte(s))
	C.wasm_byte_vec_new(out, C.size_t(len(s)), (*C.wasm_byte_t)(p))
	C.free(p)
}

// lift converts a C value (not consumed) to Go.
func lift(cx *C.wasmtime_context_t, v *C.wasmtime_component_val_t) (Val, error) {
	switch v.kind {
	case kindBool:
		return Bool(*union[C.bool](v)), nil
	case kindS8:
		return S8(*union[C.int8_t](v)), nil
	case kindU8:
		return U8(*union[C.uint8_t](v)), nil
	case kindS16:
		return S16(*union[C.int16_t](v)), nil
	case kindU16:
		return U16(*union[C.uint16_t](v)), nil
	case kindS32:
		return S32(*union[C.int32_t](v)), nil
	case kindU32:
		return U32(*union[C.uint32_t](v)), nil
	case kindS64:
		return S64(*union[C.int64_t](v)), nil
	case kindU64:
		return U64(*union[C.uint64_t](v)), nil
	case kindF32:
		return F32(*union[C.float](v)), nil
	case kindF64:
		return F64(*union[C.double](v)), nil
	case kindChar:
		return Char(*union[C.uint32_t](v)), nil
	case kindString:
		return String(goName(union[C.wasm_name_t](v))), nil
	case kindEnum:
		return Enum(goName(union[C.wasm_name_t](v))), nil
	case kindList:
		l := union[C.wasmtime_component_vallist_t](v)
		n := int(l.size)
		if n > 0 && C.spinoci_list_is_bytes(v) {
			b := make([]byte, n)
			C.spinoci_list_to_bytes(v, (*C.uint8_t)(unsafe.Pointer(&b[0])))
			return Bytes(b), nil
		}
		return liftSeq[List](cx, l.data, n)
	case kindTuple:
		t := union[C.wasmtime_component_valtuple_t](v)
		return liftSeq[Tuple](cx, t.data, int(t.size))
	case kindRecord:
		r := union[C.wasmtime_component_valrecord_t](v)
		out := make(Record, int(r.size))
		for i := range out {
			e := (*C.wasmtime_component_valrecord_entry_t)(unsafe.Add(unsafe.Pointer(r.data), i*C.sizeof_wasmtime_component_valrecord_entry_t))
			fv, err := lift(cx, &e.val)
			if err != nil {
				return nil, err
			}
			out[i] = Field{Name: goName(&e.name), Val: fv}
		}
		return out, nil
	case kindFlags:
		f := union[C.wasmtime_component_valflags_t](v)
		out := make(Flags, int(f.size))
		for i := range out {
			out[i] = goName((*C.wasm_name_t)(unsafe.Add(unsafe.Pointer(f.data), i*C.sizeof_wasm_name_t)))
		}
		return out, nil
	case kindVariant:
		vv := union[C.wasmtime_component_valvariant_t](v)
		out := Variant{Case: goName(&vv.discriminant)}
		if vv.val != nil {
			p, err := lift(cx, vv.val)
			if err != nil {
				return nil, err
			}
			out.Val = p
		}
		return out, nil
	case kindOption:
		p := *union[*C.wasmtime_component_val_t](v)
		if p == nil {
			return None, nil
		}
		inner, err := lift(cx, p)
		if err != nil {
			return nil, err
		}
		return Some(inner), nil
	case kindResult:
		r := union[C.wasmtime_component_valresult_t](v)
		out := Result{Ok: bool(r.is_ok)}
		if r.val != nil {
			p, err := lift(cx, r.val)
			if err != nil {
				return nil, err
			}
			out.Val = p
		}
		return out, nil
	case kindResource:
		any := *union[*C.wasmtime_component_resource_any_t](v)
		var h *C.wasmtime_component_resource_host_t
		if err := C.wasmtime_component_resource_any_to_host(cx, any, &h); err != nil {
			return nil, fmt.Errorf("%w: %w", errNotHost, takeError(err))
		}
		defer C.wasmtime_component_resource_host_delete(h)
		return Resource{
			Type:  uint32(C.wasmtime_component_resource_host_type(h)),
			Rep:   uint32(C.wasmtime_component_resource_host_rep(h)),
			Owned: bool(C.wasmtime_component_resource_host_owned(h)),
		}, nil
	default:
		return nil, fmt.Errorf("unknown component value kind %d", v.kind)
	}
}

func liftSeq[T ~[]Val](cx *C.wasmtime_context_t, base *C.wasmtime_component_val_t, n int) (T, error) {
	out := make(T, n)
	for i := range out {
		e, err := lift(cx, valAt(base, i))
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// lower writes v into out (uninitialised storage), which then owns its
// contents. On error out is left as a bool so it can be deleted safely.
func lower(cx *C.wasmtime_context_t, v Val, out *C.wasmtime_component_val_t) error {
	out.kind = kindBool
	*union[C.bool](out) = false
	switch v := v.(type) {
	case Bool:
		*union[C.bool](out) = C.bool(v)
	case S8:
		out.kind = kindS8
		*union[C.int8_t](out) = C.int8_t(v)
	case U8:
		out.kind = kindU8
		*union[C.uint8_t](out) = C.uint8_t(v)
	case S16:
		out.kind = kindS16
		*union[C.int16_t](out) = C.int16_t(v)
	case U16:
		out.kind = kindU16
		*union[C.uint16_t](out) = C.uint16_t(v)
	case S32:
		out.kind = kindS32
		*union[C.int32_t](out) = C.int32_t(v)
	case U32:
		out.kind = kindU32
		*union[C.uint32_t](out) = C.uint32_t(v)
	case S64:
		out.kind = kindS64
		*union[C.int64_t](out) = C.int64_t(v)
	case U64:
		out.kind = kindU64
		*union[C.uint64_t](out) = C.uint64_t(v)
	case F32:
		out.kind = kindF32
		*union[C.float](out) = C.float(v)
	case F64:
		out.kind = kindF64
		*union[C.double](out) = C.double(v)
	case Char:
		out.kind = kindChar
		*union[C.uint32_t](out) = C.uint32_t(v)
	case String:
		newName(union[C.wasm_name_t](out), string(v))
		out.kind = kindString
	case Enum:
		newName(union[C.wasm_name_t](out), string(v))
		out.kind = kindEnum
	case Bytes:
		var p unsafe.Pointer
		if len(v) > 0 {
			p = unsafe.Pointer(&v[0])
		}
		C.spinoci_bytes_to_list(out, (*C.uint8_t)(p), C.size_t(len(v)))
	case List:
		l := union[C.wasmtime_component_vallist_t](out)
		C.wasmtime_component_vallist_new_uninit(l, C.size_t(len(v)))
		out.kind = kindList
		return lowerSeq(cx, v, l.data)
	case Tuple:
		t := union[C.wasmtime_component_valtuple_t](out)
		C.wasmtime_component_valtuple_new_uninit(t, C.size_t(len(v)))
		out.kind = kindTuple
		return lowerSeq(cx, v, t.data)
	case Record:
		r := union[C.wasmtime_component_valrecord_t](out)
		C.wasmtime_component_valrecord_new_uninit(r, C.size_t(len(v)))
		for i := range v {
			e := (*C.wasmtime_component_valrecord_entry_t)(unsafe.Add(unsafe.Pointer(r.data), i*C.sizeof_wasmtime_component_valrecord_entry_t))
			newName(&e.name, v[i].Name)
			e.val.kind = kindBool
		}
		out.kind = kindRecord
		for i := range v {
			e := (*C.wasmtime_component_valrecord_entry_t)(unsafe.Add(unsafe.Pointer(r.data), i*C.sizeof_wasmtime_component_valrecord_entry_t))
			if err := lower(cx, v[i].Val, &e.val); err != nil {
				return fmt.Errorf("field %s: %w", v[i].Name, err)
			}
		}
	case Flags:
		f := union[C.wasmtime_component_valflags_t](out)
		C.wasmtime_component_valflags_new_uninit(f, C.size_t(len(v)))
		for i := range v {
			newName((*C.wasm_name_t)(unsafe.Add(unsafe.Pointer(f.data), i*C.sizeof_wasm_name_t)), v[i])
		}
		out.kind = kindFlags
	case Variant:
		vv := union[C.wasmtime_component_valvariant_t](out)
		newName(&vv.discriminant, v.Case)
		vv.val = nil
		out.kind = kindVariant
		p, err := lowerBoxed(cx, v.Val)
		vv.val = p
		return err
	case Option:
		p, err := lowerBoxed(cx, v.Val)
		*union[*C.wasmtime_component_val_t](out) = p
		out.kind = kindOption
		return err
	case Result:
		r := union[C.wasmtime_component_valresult_t](out)
		r.is_ok = C.bool(v.Ok)
		p, err := lowerBoxed(cx, v.Val)
		r.val = p
		out.kind = kindResult
		return err
	case Resource:
		h := C.wasmtime_component_resource_host_new(C.bool(v.Owned), C.uint32_t(v.Rep), C.uint32_t(v.Type))
		defer C.wasmtime_component_resource_host_delete(h)
		var any *C.wasmtime_component_resource_any_t
		if err := C.wasmtime_component_resource_host_to_any(cx, h, &any); err != nil {
			return fmt.Errorf("resource: %w", takeError(err))
		}
		*union[*C.wasmtime_component_resource_any_t](out) = any
		out.kind = kindResource
	case nil:
		return errors.New("nil value")
	default:
		return fmt.Errorf("unsupported value type %T", v)
	}
	return nil
}

func lowerSeq(cx *C.wasmtime_context_t, vs []Val, base *C.wasmtime_component_val_t) error {
	for i := range vs {
		valAt(base, i).kind = kindBool
	}
	for i := range vs {
		if err := lower(cx, vs[i], valAt(base, i)); err != nil {
			return err
		}
	}
	return nil
}

// lowerBoxed lowers v onto a Wasmtime heap allocation; nil stays nil.
func lowerBoxed(cx *C.wasmtime_context_t, v Val) (*C.wasmtime_component_val_t, error) {
	if v == nil {
		return nil, nil
	}
	var tmp alignedC[C.wasmtime_component_val_t]
	err := lower(cx, v, &tmp.v)
	return C.wasmtime_component_val_new(&tmp.v), err
}
