package capi

/*
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtime-go's Module is a single wasmtime_module_t pointer, and its
// Linker starts with its wasmtime_linker_t pointer (the layout test checks
// both).
const _ = unsafe.Sizeof(wasmtime.Module{}) - unsafe.Sizeof(uintptr(0)) +
	(unsafe.Sizeof(uintptr(0)) - unsafe.Sizeof(wasmtime.Module{}))

// InstancePre is a core module whose imports were resolved against a
// linker once (Wasmtime's InstancePre): instantiating it skips looking up
// and type-checking every import, which Linker.Instantiate does per
// instance. It keeps the definitions the linker had when it was made, and
// is released once unreachable. Like CallEach it does not re-raise a Go
// panic of a host function that a start function calls (Spin modules have
// none).
type InstancePre struct {
	ptr     *C.wasmtime_instance_pre_t
	cleanup runtime.Cleanup
}

// NewInstancePre resolves m's imports in l.
func NewInstancePre(l *wasmtime.Linker, m *wasmtime.Module) (*InstancePre, error) {
	lp := *(**C.wasmtime_linker_t)(unsafe.Pointer(l))
	mp := *(**C.wasmtime_module_t)(unsafe.Pointer(m))
	p := &InstancePre{}
	err := C.wasmtime_linker_instantiate_pre(lp, mp, &p.ptr)
	runtime.KeepAlive(l)
	runtime.KeepAlive(m)
	if err != nil {
		return nil, fmt.Errorf("resolve imports: %w", takeError(err))
	}
	// The pre holds its own reference to the module's code.
	p.cleanup = runtime.AddCleanup(p, func(ptr *C.wasmtime_instance_pre_t) { C.wasmtime_instance_pre_delete(ptr) }, p.ptr)
	return p, nil
}

// Close releases p now rather than when it is unreachable (its module's
// engine lives until then). Nothing may instantiate p after.
func (p *InstancePre) Close() {
	if p.ptr != nil {
		p.cleanup.Stop()
		C.wasmtime_instance_pre_delete(p.ptr)
		p.ptr = nil
	}
}

// Instantiate instantiates the module in store.
func (p *InstancePre) Instantiate(store wasmtime.Storelike) (*wasmtime.Instance, error) {
	inst := new(wasmtime.Instance)
	err := p.InstantiateIn(ContextOf(store), inst)
	runtime.KeepAlive(store)
	if err != nil {
		return nil, err
	}
	return inst, nil
}
