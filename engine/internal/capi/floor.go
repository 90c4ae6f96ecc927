package capi

/*
#include "capi.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// RequestFloor is what a request costs Wasmtime itself, for the benchmark's
// bound on requests/s: a Spin 1.x HTTP module (wit-bindgen 0.2) that
// imports nothing, instantiated in a fresh Store per request from the
// pooling allocator of the engine's settings, its handle-http-request
// called with no arguments and the response's body copied out, all in one
// cgo call. It skips what a Spin host must do besides (the request's URI,
// headers and body written into the guest, canonical_abi_free, WASI, host
// state, the epoch ticker), so no host of this design can serve a request
// of the same module for less.
type RequestFloor struct {
	engine *wasmtime.Engine
	module *wasmtime.Module
	pre    *InstancePre
}

// NewRequestFloor compiles wasm for a floor whose pool resets keepResident
// bytes of each freed memory and table in place and gives the rest back to
// the kernel (the engines' own setting is PoolKeepResident; a module that
// writes little costs less with less).
func NewRequestFloor(wasm []byte, keepResident int) (*RequestFloor, error) {
	if !poolingFits() {
		return nil, errors.New("the instance pool's address space cannot be reserved (a ulimit -v, or a small address space)")
	}
	cfg, err := newModuleConfig(Optimized)
	if err != nil {
		return nil, err
	}
	usePooling(cfg, keepResident, keepResident)
	f := &RequestFloor{engine: wasmtime.NewEngineWithConfig(cfg)}
	if f.module, err = wasmtime.NewModule(f.engine, wasm); err != nil {
		return nil, fmt.Errorf("compile: %w", TrimNative(err))
	}
	if f.pre, err = NewInstancePre(wasmtime.NewLinker(f.engine), f.module); err != nil {
		return nil, err
	}
	return f, nil
}

// errFloorNoExports: the module lacks the Spin 1.x HTTP exports.
var errFloorNoExports = errors.New(`the module exports no "memory" memory or no "handle-http-request" function`)

// Request serves one request and copies the response's body into body,
// returning its length.
func (f *RequestFloor) Request(body []byte) (int, error) {
	var p *C.uint8_t
	if len(body) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&body[0]))
	}
	n := C.spinoci_floor_request(enginePtr(f.engine), f.pre.ptr, p, C.size_t(len(body)))
	runtime.KeepAlive(f)
	runtime.KeepAlive(body)
	switch {
	case n == C.SPINOCI_FLOOR_NO_EXPORTS:
		return 0, errFloorNoExports
	case n < 0:
		return 0, fmt.Errorf("the request failed: an instantiation or call error, a trap, or a response out of bounds or larger than %d bytes", len(body))
	}
	return int(n), nil
}

// Close releases the floor's instance pre-resolution, module and engine.
func (f *RequestFloor) Close() {
	f.pre.Close()
	f.module.Close()
	f.engine.Close()
}
