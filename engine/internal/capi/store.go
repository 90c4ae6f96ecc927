package capi

/*
#include "capi.h"
#include <stdlib.h>
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// Store holds the instances of one instantiation and the host's Go data for
// it. A Store is used by one goroutine at a time.
type Store struct {
	ptr    *C.wasmtime_store_t
	handle cgo.Handle
	engine *Engine
	// held is how many of the engine's pool slots the Store's instances
	// hold until Close.
	held int
}

// DeadlineHandler is implemented by store data that decides what happens
// when a guest reaches its epoch deadline.
type DeadlineHandler interface {
	// EpochDeadline returns how many more ticks the guest may run, or an
	// error, which traps the guest with that message.
	EpochDeadline() (ticks uint64, err error)
}

// NewStore creates a store whose Context.Data is data. Its epoch deadline
// starts one tick ahead; see SetDeadline. If data is a DeadlineHandler it is
// asked what to do at each deadline; otherwise the guest traps there.
func (e *Engine) NewStore(data any) *Store {
	h := cgo.NewHandle(data)
	s := &Store{ptr: C.spinoci_store_new(e.ptr, C.uintptr_t(h)), handle: h, engine: e}
	if _, ok := data.(DeadlineHandler); ok {
		C.spinoci_store_on_deadline(s.ptr)
	}
	s.SetDeadline(1)
	return s
}

//export spinociEpochDeadline
func spinociEpochDeadline(cx *C.wasmtime_context_t, delta *C.uint64_t) (cerr *C.wasmtime_error_t) {
	defer func() {
		if r := recover(); r != nil {
			cerr = newCError(fmt.Errorf("epoch deadline handler panic: %v", r))
		}
	}()
	h := (&Context{ptr: cx}).Data().(DeadlineHandler)
	ticks, err := h.EpochDeadline()
	if err != nil {
		return newCError(err)
	}
	*delta = C.uint64_t(max(ticks, 1))
	return nil
}

// SetDeadline makes the guest trap once the engine's epoch has advanced
// ticks beyond its current value.
func (s *Store) SetDeadline(ticks uint64) {
	C.wasmtime_context_set_epoch_deadline(s.context(), C.uint64_t(ticks))
}

func (s *Store) context() *C.wasmtime_context_t { return C.wasmtime_store_context(s.ptr) }

// Close releases the store and everything in it, and gives its instances'
// pool slots back.
func (s *Store) Close() {
	if s.ptr != nil {
		C.wasmtime_store_delete(s.ptr)
		s.ptr = nil
		s.handle.Delete()
		for ; s.held > 0; s.held-- {
			s.engine.Slots.Release()
		}
	}
}

// CloseAsync closes the Store in the background, then calls then (if not
// nil). An instance's end is when the pool resets its memory in place,
// copying up to PoolKeepResident bytes (a few milliseconds for a slot's
// first reset, which makes them resident): closing after the response has
// gone keeps that off the request's time. Engine.Wait waits for it.
func (s *Store) CloseAsync(then func()) {
	s.engine.CloseInBackground(func() {
		s.Close()
		if then != nil {
			then()
		}
	})
}

// Context is the store context a host function runs in.
type Context struct {
	ptr *C.wasmtime_context_t
}

// Data returns the value the store was created with.
func (cx *Context) Data() any {
	return cgo.Handle(C.spinoci_context_handle(cx.ptr)).Value()
}

// Instance is an instantiated component.
type Instance struct {
	store *Store
	inst  C.wasmtime_component_instance_t
}

// Instantiate instantiates c in s with l's definitions. It waits while the
// engine's instance pool is full, until ctx is done.
func (l *Linker) Instantiate(ctx context.Context, s *Store, c *Component) (*Instance, error) {
	if err := s.engine.Slots.Acquire(ctx); err != nil {
		return nil, err
	}
	s.held++
	inst := &Instance{store: s}
	if err := C.wasmtime_component_linker_instantiate(l.ptr, s.context(), c.ptr, &inst.inst); err != nil {
		return nil, fmt.Errorf("instantiate component: %w", takeError(err))
	}
	return inst, nil
}

// Func is an exported function of an Instance.
type Func struct {
	store *Store
	fn    C.wasmtime_component_func_t
	name  string
}

// Func looks up the exported function at path, e.g.
// "wasi:http/incoming-handler@0.2.0", "handle".
func (i *Instance) Func(path ...string) (*Func, error) {
	if len(path) == 0 {
		return nil, errors.New("empty export path")
	}
	cx := i.store.context()
	var parent *C.wasmtime_component_export_index_t
	defer func() {
		if parent != nil {
			C.wasmtime_component_export_index_delete(parent)
		}
	}()
	for _, name := range path {
		cname := C.CString(name)
		idx := C.wasmtime_component_instance_get_export_index(&i.inst, cx, parent, cname, C.size_t(len(name)))
		C.free(unsafe.Pointer(cname))
		if parent != nil {
			C.wasmtime_component_export_index_delete(parent)
		}
		parent = idx
		if idx == nil {
			return nil, fmt.Errorf("no export %q", name)
		}
	}
	f := &Func{store: i.store, name: fmt.Sprint(path)}
	if !C.wasmtime_component_instance_get_func(&i.inst, cx, parent, &f.fn) {
		return nil, fmt.Errorf("export %v is not a function", path)
	}
	return f, nil
}

// Call calls f with args and returns nresults results (0 or 1). A trap is
// returned as an *Error.
func (f *Func) Call(nresults int, args ...Val) ([]Val, error) {
	cx := f.store.context()
	var cargs, cres *C.wasmtime_component_val_t
	if len(args) > 0 {
		cargs = (*C.wasmtime_component_val_t)(C.calloc(C.size_t(len(args)), valSize))
		defer C.free(unsafe.Pointer(cargs))
	}
	for i := range args {
		if err := lower(cx, args[i], valAt(cargs, i)); err != nil {
			for j := 0; j <= i; j++ {
				C.wasmtime_component_val_delete(valAt(cargs, j))
			}
			return nil, fmt.Errorf("call %s: argument %d: %w", f.name, i, err)
		}
	}
	defer func() {
		for i := range args {
			C.wasmtime_component_val_delete(valAt(cargs, i))
		}
	}()
	if nresults > 0 {
		cres = (*C.wasmtime_component_val_t)(C.calloc(C.size_t(nresults), valSize))
		defer C.free(unsafe.Pointer(cres))
	}
	if err := C.wasmtime_component_func_call(&f.fn, cx, cargs, C.size_t(len(args)), cres, C.size_t(nresults)); err != nil {
		return nil, takeError(err)
	}
	out := make([]Val, nresults)
	var liftErr error
	for i := range out {
		if liftErr == nil {
			out[i], liftErr = lift(cx, valAt(cres, i))
		}
		C.wasmtime_component_val_delete(valAt(cres, i))
	}
	if err := C.wasmtime_component_func_post_return(&f.fn, cx); err != nil {
		return nil, fmt.Errorf("call %s: post-return: %w", f.name, takeError(err))
	}
	if liftErr != nil {
		return nil, fmt.Errorf("call %s: result: %w", f.name, liftErr)
	}
	return out, nil
}
