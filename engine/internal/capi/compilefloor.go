package capi

/*
#include "capi.h"
#include <stdlib.h>
*/
import "C"

import (
	"errors"
	"unsafe"
)

// compileSettings are the compiler settings the C API offers on top of a
// tier. BenchmarkCompile measures what each costs: the floor of a first
// start's compilation on a machine.
type compileSettings struct {
	tier     Tier
	serial   bool              // no parallel compilation
	noUnwind bool              // no native unwind info
	flags    map[string]string // more Cranelift flags
	// winch selects Wasmtime's baseline compiler (see selectWinch).
	winch bool
}

// newConfig is a config for s, as the engines of this package make them
// (epoch interruption on).
func (s compileSettings) newConfig() (*C.wasm_config_t, error) {
	cfg := C.wasm_config_new()
	C.wasmtime_config_epoch_interruption_set(cfg, true)
	if err := setTier(cfg, s.tier); err != nil {
		C.wasm_config_delete(cfg)
		return nil, err
	}
	if s.serial {
		C.wasmtime_config_parallel_compilation_set(cfg, false)
	}
	if s.noUnwind {
		C.wasmtime_config_native_unwind_info_set(cfg, false)
	}
	for k, v := range s.flags {
		key, value := C.CString(k), C.CString(v)
		C.wasmtime_config_cranelift_flag_set(cfg, key, value)
		C.free(unsafe.Pointer(key))
		C.free(unsafe.Pointer(value))
	}
	if s.winch {
		if err := selectWinch(cfg); err != nil {
			C.wasm_config_delete(cfg)
			return nil, err
		}
	}
	return cfg, nil
}

// newEngineWith is an Engine compiling with s.
func newEngineWith(s compileSettings) (*Engine, error) {
	cfg, err := s.newConfig()
	if err != nil {
		return nil, err
	}
	t := s.tier
	if s.winch {
		t = Winch
	}
	return &Engine{ptr: C.wasm_engine_new_with_config(cfg), tier: t}, nil
}

// compileModuleSize compiles a core module with e, as NewModuleCompileEngine's
// engines do, and returns the size of its serialized code.
func (e *Engine) compileModuleSize(wasm []byte) (int, error) {
	if len(wasm) == 0 {
		return 0, errors.New("compile module: empty binary")
	}
	var m *C.wasmtime_module_t
	if err := C.wasmtime_module_new(e.ptr, (*C.uint8_t)(unsafe.Pointer(&wasm[0])), C.size_t(len(wasm)), &m); err != nil {
		return 0, takeError(err)
	}
	defer C.wasmtime_module_delete(m)
	var vec C.wasm_byte_vec_t
	if err := C.wasmtime_module_serialize(m, &vec); err != nil {
		return 0, takeError(err)
	}
	defer C.wasm_byte_vec_delete(&vec)
	return int(vec.size), nil
}
