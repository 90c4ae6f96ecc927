package capi

/*
#include "capi.h"
#include <stdlib.h>
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// HostFunc implements an imported function. It returns exactly as many
// results as the function type declares (zero or one); an error traps the
// guest with its message.
type HostFunc func(cx *Context, args []Val) ([]Val, error)

// Destructor is called when the guest drops an owned handle of a host
// resource; rep is the handle's representation.
type Destructor func(cx *Context, rep uint32) error

// Linker defines the imports components are instantiated with. It is not
// safe to modify concurrently with use; instantiation is safe concurrently.
type Linker struct {
	ptr *C.wasmtime_component_linker_t
	// defined records the root's definitions (instance name → its
	// functions and resources, with the resources' host type ids; nil for a
	// function) and stubs those
	// made by DefineMissing: Wasmtime's C API cannot be asked what a linker
	// holds, and reopening an instance replaces it.
	defined map[string]map[string]uint32
	stubs   map[string]bool
}

// NewLinker creates an empty Linker for components of engine e.
func (e *Engine) NewLinker() *Linker {
	l := &Linker{ptr: C.wasmtime_component_linker_new(e.ptr), defined: map[string]map[string]uint32{}, stubs: map[string]bool{}}
	C.wasmtime_component_linker_allow_shadowing(l.ptr, true)
	return l
}

// Close releases the linker and its host-function handles.
func (l *Linker) Close() {
	if l.ptr != nil {
		C.wasmtime_component_linker_delete(l.ptr)
		l.ptr = nil
	}
}

// LinkerInstance is an instance (an interface such as
// "wasi:io/streams@0.2.6") being defined in a Linker. Close it before
// defining another instance of the same Linker.
type LinkerInstance struct {
	ptr *C.wasmtime_component_linker_instance_t
	// linker and name say where definitions are recorded: name is "" for
	// the root; linker is nil below the root's instances.
	linker *Linker
	name   string
}

// Root returns the linker's root instance.
func (l *Linker) Root() *LinkerInstance {
	return &LinkerInstance{ptr: C.wasmtime_component_linker_root(l.ptr), linker: l}
}

// record notes the definition of item in li.
func (li *LinkerInstance) record(item string, instance bool, ty uint32) {
	switch {
	case li.linker == nil:
	case li.name == "" && instance:
		li.linker.defined[item] = map[string]uint32{}
		delete(li.linker.stubs, item)
	case li.name == "":
		li.linker.defined[item] = nil
		delete(li.linker.stubs, item)
	default:
		li.linker.defined[li.name][item] = ty
	}
}

// Instance defines (or reopens) the named nested instance.
func (li *LinkerInstance) Instance(name string) (*LinkerInstance, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var out *C.wasmtime_component_linker_instance_t
	if err := C.wasmtime_component_linker_instance_add_instance(li.ptr, cname, C.size_t(len(name)), &out); err != nil {
		return nil, fmt.Errorf("define instance %s: %w", name, takeError(err))
	}
	li.record(name, true, 0)
	child := &LinkerInstance{ptr: out}
	if li.linker != nil && li.name == "" {
		child.linker, child.name = li.linker, name
	}
	return child, nil
}

// Close ends the definition of this instance.
func (li *LinkerInstance) Close() {
	if li.ptr != nil {
		C.wasmtime_component_linker_instance_delete(li.ptr)
		li.ptr = nil
	}
}

// hostFunc is what a function's cgo.Handle refers to.
type hostFunc struct {
	name string
	fn   HostFunc
}

// AddFunc defines the function name.
func (li *LinkerInstance) AddFunc(name string, fn HostFunc) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	h := cgo.NewHandle(&hostFunc{name: name, fn: fn})
	if err := C.spinoci_add_func(li.ptr, cname, C.size_t(len(name)), C.uintptr_t(h)); err != nil {
		// On error wasmtime has already run the finalizer, deleting h.
		return fmt.Errorf("define function %s: %w", name, takeError(err))
	}
	li.record(name, false, 0)
	return nil
}

// AddResource defines the resource type name as host resource type id ty;
// drop is called when the guest drops an owned handle (it may be nil).
func (li *LinkerInstance) AddResource(name string, ty uint32, drop Destructor) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	if drop == nil {
		drop = func(*Context, uint32) error { return nil }
	}
	h := cgo.NewHandle(drop)
	if err := C.spinoci_add_resource(li.ptr, cname, C.size_t(len(name)), C.uint32_t(ty), C.uintptr_t(h)); err != nil {
		return fmt.Errorf("define resource %s: %w", name, takeError(err))
	}
	li.record(name, false, ty)
	return nil
}

//export spinociHostCall
func spinociHostCall(data C.uintptr_t, cx *C.wasmtime_context_t, args *C.wasmtime_component_val_t, nargs C.size_t,
	results *C.wasmtime_component_val_t, nresults C.size_t) *C.wasmtime_error_t {
	hf := cgo.Handle(data).Value().(*hostFunc)
	ctx := &Context{ptr: cx}
	in := make([]Val, int(nargs))
	for i := range in {
		v, err := lift(cx, valAt(args, i))
		if err != nil {
			return newCError(fmt.Errorf("%s: argument %d: %w", hf.name, i, err))
		}
		in[i] = v
	}
	out, err := callHost(hf, ctx, in)
	if err != nil {
		return newCError(err)
	}
	if len(out) != int(nresults) {
		return newCError(fmt.Errorf("%s: host returned %d results, want %d", hf.name, len(out), nresults))
	}
	for i := range out {
		if err := lower(cx, out[i], valAt(results, i)); err != nil {
			for j := 0; j <= i; j++ {
				C.wasmtime_component_val_delete(valAt(results, j))
			}
			return newCError(fmt.Errorf("%s: result: %w", hf.name, err))
		}
	}
	return nil
}

// callHost runs a host function, turning a panic into a trap rather than
// unwinding through wasmtime's frames.
func callHost(hf *hostFunc, cx *Context, args []Val) (out []Val, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: host panic: %v", hf.name, r)
		}
	}()
	return hf.fn(cx, args)
}

//export spinociResourceDrop
func spinociResourceDrop(data C.uintptr_t, cx *C.wasmtime_context_t, rep C.uint32_t) (cerr *C.wasmtime_error_t) {
	drop := cgo.Handle(data).Value().(Destructor)
	defer func() {
		if r := recover(); r != nil {
			cerr = newCError(fmt.Errorf("resource destructor panic: %v", r))
		}
	}()
	if err := drop(&Context{ptr: cx}, uint32(rep)); err != nil {
		return newCError(err)
	}
	return nil
}

//export spinociFinalize
func spinociFinalize(data C.uintptr_t) {
	cgo.Handle(data).Delete()
}
