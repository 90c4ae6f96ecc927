package capi

/*
#include "capi.h"
#include <stdlib.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	// The C symbols declared in capi.h are linked from wasmtime-go's
	// libwasmtime.a; importing the package brings in its linker flags.
	_ "github.com/bytecodealliance/wasmtime-go/v39"
)

// WasmtimeGoVersion is the version of wasmtime-go whose C API this package
// declares and links (the layout test checks it against go.mod).
const WasmtimeGoVersion = "v39.0.1"

// ComponentConfigID identifies the compiled-code format of components
// compiled by an Engine: part of their compile-cache keys.
const ComponentConfigID = "wasmtime-c-api/" + WasmtimeGoVersion + ";component;engine=default+epoch;target=" + runtime.GOOS + "/" + runtime.GOARCH

// Engine is a Wasmtime engine for components. It enables epoch
// interruption so that a runaway guest can be stopped (see Store.SetDeadline
// and Engine.IncrementEpoch).
type Engine struct {
	ptr  *C.wasm_engine_t
	tier Tier // what Compile produces
	// Pool's slots are nil when the engine instantiates on demand or only
	// compiles; its Users are the calls HandlerSwap.Acquire starts.
	Pool
}

// NewEngine creates an Engine that compiles optimised code.
func NewEngine() *Engine {
	e, _ := NewEngineAt(Optimized) // only Winch's can fail
	return e
}

// NewEngineAt creates an Engine that compiles code of tier t and
// instantiates components from a pool of poolSlots instances, reused from
// one Store to the next (on demand where the pool's address space cannot be
// reserved). Cranelift's engines (Optimized, Fast) load code of both tiers
// (see Fast), a Winch engine only Winch code; only a Winch engine can fail
// (WinchUsable).
func NewEngineAt(t Tier) (*Engine, error) {
	slots := 0
	if poolingFits() {
		slots = poolSlots
	}
	return newEngine(t, slots)
}

// NewCompileEngineAt creates an Engine that compiles code of tier t for the
// compile cache, whose code NewEngineAt(t)'s engines load. It instantiates
// on demand, so it reserves no instance pool.
func NewCompileEngineAt(t Tier) (*Engine, error) { return newEngine(t, 0) }

// newEngine is NewEngineAt with a pool of slots component instances (0: on
// demand).
func newEngine(t Tier, slots int) (*Engine, error) {
	cfg := C.wasm_config_new()
	C.wasmtime_config_epoch_interruption_set(cfg, true)
	if err := setTier(cfg, t); err != nil {
		C.wasm_config_delete(cfg)
		return nil, err
	}
	e := &Engine{tier: t}
	if slots > 0 {
		useComponentPooling(cfg, slots)
		e.Slots = NewSlots(slots)
	}
	e.ptr = C.wasm_engine_new_with_config(cfg)
	return e, nil
}

// IncrementEpoch advances the engine's epoch; stores past their deadline trap.
func (e *Engine) IncrementEpoch() { C.wasmtime_engine_increment_epoch(e.ptr) }

// Close releases the engine once Wait returns. Everything made from it
// must be closed (or being closed by CloseAsync) first.
func (e *Engine) Close() {
	e.Wait()
	if e.ptr != nil {
		C.wasm_engine_delete(e.ptr)
		e.ptr = nil
	}
}

// Component is a compiled component.
type Component struct {
	ptr    *C.wasmtime_component_t
	engine *C.wasm_engine_t // what type queries need
}

// Compile compiles a component binary.
func (e *Engine) Compile(wasm []byte) (*Component, error) {
	if len(wasm) == 0 {
		return nil, errors.New("compile component: empty binary")
	}
	var c *C.wasmtime_component_t
	if err := C.wasmtime_component_new(e.ptr, (*C.uint8_t)(unsafe.Pointer(&wasm[0])), C.size_t(len(wasm)), &c); err != nil {
		return nil, fmt.Errorf("compile component: %w", takeError(err))
	}
	return &Component{ptr: c, engine: e.ptr}, nil
}

// DeserializeFile loads a component serialized by Component.Serialize with
// the same ComponentConfigID. The file is memory-mapped; it must be one this
// process (or another trusted writer) produced: Wasmtime does not validate
// it (CompileComponent checks its entries before calling this).
func (e *Engine) DeserializeFile(path string) (*Component, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var c *C.wasmtime_component_t
	if err := C.wasmtime_component_deserialize_file(e.ptr, cpath, &c); err != nil {
		return nil, fmt.Errorf("deserialize component %s: %w", path, takeError(err))
	}
	return &Component{ptr: c, engine: e.ptr}, nil
}

// Serialize returns the compiled form of c, for DeserializeFile.
func (c *Component) Serialize() ([]byte, error) {
	var vec C.wasm_byte_vec_t
	if err := C.wasmtime_component_serialize(c.ptr, &vec); err != nil {
		return nil, fmt.Errorf("serialize component: %w", takeError(err))
	}
	defer C.wasm_byte_vec_delete(&vec)
	return C.GoBytes(unsafe.Pointer(vec.data), C.int(vec.size)), nil
}

// HasExport reports whether c exports the (possibly nested) item path, e.g.
// "wasi:http/incoming-handler@0.2.0", "handle".
func (c *Component) HasExport(path ...string) bool {
	var parent *C.wasmtime_component_export_index_t
	for _, name := range path {
		idx := exportIndex(c.ptr, parent, name)
		if parent != nil {
			C.wasmtime_component_export_index_delete(parent)
		}
		if idx == nil {
			return false
		}
		parent = idx
	}
	if parent != nil {
		C.wasmtime_component_export_index_delete(parent)
	}
	return len(path) > 0
}

func exportIndex(c *C.wasmtime_component_t, parent *C.wasmtime_component_export_index_t, name string) *C.wasmtime_component_export_index_t {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return C.wasmtime_component_get_export_index(c, parent, cname, C.size_t(len(name)))
}

// Close releases the component.
func (c *Component) Close() {
	if c.ptr != nil {
		C.wasmtime_component_delete(c.ptr)
		c.ptr = nil
	}
}

// Wat2Wasm converts WebAssembly text (a module or a component) to binary.
func Wat2Wasm(wat string) ([]byte, error) {
	var vec C.wasm_byte_vec_t
	cwat := C.CString(wat)
	defer C.free(unsafe.Pointer(cwat))
	if err := C.wasmtime_wat2wasm(cwat, C.size_t(len(wat)), &vec); err != nil {
		return nil, fmt.Errorf("wat2wasm: %w", takeError(err))
	}
	defer C.wasm_byte_vec_delete(&vec)
	return C.GoBytes(unsafe.Pointer(vec.data), C.int(vec.size)), nil
}

// Error is an error reported by Wasmtime (a trap, a link or a compile error).
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

// takeError converts and deletes a wasmtime_error_t.
func takeError(err *C.wasmtime_error_t) error {
	var msg C.wasm_name_t
	C.wasmtime_error_message(err, &msg)
	C.wasmtime_error_delete(err)
	return &Error{Message: trimNative(takeName(&msg))}
}

// newCError makes a wasmtime_error_t carrying err's message.
func newCError(err error) *C.wasmtime_error_t {
	cmsg := C.CString(err.Error())
	defer C.free(unsafe.Pointer(cmsg))
	return C.wasmtime_error_new(cmsg)
}
