package capi

/*
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"runtime/cgo"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// What a core-module request does once per Store or instance, in as few
// cgo calls as possible: each call costs the Go runtime's transition both
// ways, which added up to more than the C work for a small request.

// DeadlineWatch registers a DeadlineHandler for the Stores NewSharedStore
// makes, one after another; Release it once the last of them is closed.
type DeadlineWatch struct {
	handle cgo.Handle
}

// NewDeadlineWatch registers h.
func NewDeadlineWatch(h DeadlineHandler) DeadlineWatch {
	return DeadlineWatch{handle: cgo.NewHandle(h)}
}

// Release unregisters the handler.
func (w DeadlineWatch) Release() { w.handle.Delete() }

// MaxExportFuncs bounds the functions of an ExportNames.
const MaxExportFuncs = 8

// ExportNames are a module's memory export and function exports that a
// request looks up at once (LookupExports); made once per module.
type ExportNames struct {
	names []byte     // back to back, the memory's first
	ends  []C.size_t // where each name ends in names
}

// NewExportNames returns the memory export memory and the function exports
// funcs (at most MaxExportFuncs) to look up; an empty name is not looked up
// (for an export the module is known not to have).
func NewExportNames(memory string, funcs ...string) (*ExportNames, error) {
	if len(funcs) > MaxExportFuncs {
		return nil, fmt.Errorf("%d function exports to look up at once: at most %d", len(funcs), MaxExportFuncs)
	}
	n := &ExportNames{}
	for _, name := range append([]string{memory}, funcs...) {
		n.names = append(n.names, name...)
		n.ends = append(n.ends, C.size_t(len(n.names)))
	}
	if len(n.names) == 0 {
		n.names = []byte{0} // a valid pointer for C
	}
	return n, nil
}

// Exports are an instance's exports of an ExportNames, valid while its
// Store lives.
type Exports struct {
	memory wasmtime.Memory
	funcs  [MaxExportFuncs]wasmtime.Func
	found  uint64 // bit 0: memory; bit i+1: funcs[i]
}

// Memory is the memory export, or nil if the instance has none of that
// name.
func (e *Exports) Memory() *wasmtime.Memory {
	if e.found&1 == 0 {
		return nil
	}
	return &e.memory
}

// Func is the i-th function export of the ExportNames, or nil if the
// instance has no function of that name.
func (e *Exports) Func(i int) *wasmtime.Func {
	if i < 0 || i >= MaxExportFuncs || e.found&(1<<(i+1)) == 0 {
		return nil
	}
	return &e.funcs[i]
}

// LookupExports looks up names in inst, in one cgo call, into out.
func LookupExports(cx StoreContext, inst *wasmtime.Instance, names *ExportNames, out *Exports) {
	out.found = coreExports(cx, unsafe.Pointer(inst), &names.names[0], &names.ends[0],
		len(names.ends)-1, unsafe.Pointer(&out.memory), unsafe.Pointer(&out.funcs[0]))
	runtime.KeepAlive(inst)
	runtime.KeepAlive(names)
	runtime.KeepAlive(out)
}

// InstantiateIn instantiates the module in the store whose context is cx
// into inst.
func (p *InstancePre) InstantiateIn(cx StoreContext, inst *wasmtime.Instance) error {
	var trap *C.wasm_trap_t
	err := preInstantiate(p, cx, unsafe.Pointer(inst), &trap)
	runtime.KeepAlive(p)
	runtime.KeepAlive(inst)
	return instantiateError(err, trap)
}

// InstantiateExporting is InstantiateIn and then LookupExports of names
// into out, in one cgo call.
func (p *InstancePre) InstantiateExporting(cx StoreContext, inst *wasmtime.Instance, names *ExportNames, out *Exports) error {
	var trap *C.wasm_trap_t
	out.found = 0
	err := preInstantiateExports(p, cx, unsafe.Pointer(inst), &trap, names, out)
	runtime.KeepAlive(p)
	runtime.KeepAlive(inst)
	runtime.KeepAlive(names)
	runtime.KeepAlive(out)
	return instantiateError(err, trap)
}

// instantiateError is the error of an instantiation that returned err and
// trap (nil if both are).
func instantiateError(err *C.wasmtime_error_t, trap *C.wasm_trap_t) error {
	switch {
	case trap != nil:
		if err != nil {
			C.wasmtime_error_delete(err)
		}
		return trapError(trap)
	case err != nil:
		return takeError(err)
	}
	return nil
}
