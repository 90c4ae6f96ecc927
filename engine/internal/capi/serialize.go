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

// The cache writes serialized code from Wasmtime's memory rather than from
// a Go copy: a first start of a 12 MB JS component serializes ~75 MB of
// fast code, whose copy to the Go heap cost fresh heap pages and garbage
// on top of the write.

// serializeComponent serializes c's code for Engine.DeserializeFile: the
// bytes are valid until release is called.
func serializeComponent(c *Component) (data []byte, release func(), err error) {
	var vec C.wasm_byte_vec_t
	if err := C.wasmtime_component_serialize(c.ptr, &vec); err != nil {
		return nil, nil, fmt.Errorf("serialize component: %w", takeError(err))
	}
	data, release = byteVec(&vec)
	return data, release, nil
}

// serializeModule is serializeComponent for wasmtime.NewModuleDeserializeFile.
func serializeModule(m *wasmtime.Module) (data []byte, release func(), err error) {
	var vec C.wasm_byte_vec_t
	err = takeErrorOrNil(C.wasmtime_module_serialize(*(**C.wasmtime_module_t)(unsafe.Pointer(m)), &vec))
	runtime.KeepAlive(m)
	if err != nil {
		return nil, nil, fmt.Errorf("serialize module: %w", err)
	}
	data, release = byteVec(&vec)
	return data, release, nil
}

// byteVec is vec's bytes, in place, and what deletes them.
func byteVec(vec *C.wasm_byte_vec_t) ([]byte, func()) {
	release := func() { C.wasm_byte_vec_delete(vec) }
	if vec.size == 0 {
		return nil, release
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(vec.data)), int(vec.size)), release
}

func takeErrorOrNil(err *C.wasmtime_error_t) error {
	if err == nil {
		return nil
	}
	return takeError(err)
}
