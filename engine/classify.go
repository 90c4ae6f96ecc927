package engine

import (
	"errors"
	"fmt"
)

// Wasm header fields.
const (
	wasmMagic         = "\x00asm"
	coreModuleVersion = "\x01\x00\x00\x00"
	componentVersion  = "\x0d\x00\x01\x00"
)

// isComponent reports whether wasm is a WebAssembly component binary.
func isComponent(wasm []byte) bool {
	return len(wasm) >= 8 && string(wasm[:4]) == wasmMagic && string(wasm[4:8]) == componentVersion
}

// checkHeader classifies a wasm binary by its 8-byte header: only core
// modules are accepted.
func checkHeader(wasm []byte) error {
	if len(wasm) < 8 || string(wasm[:4]) != wasmMagic {
		return errors.New("not a wasm binary")
	}
	switch string(wasm[4:8]) {
	case coreModuleVersion:
		return nil
	case componentVersion:
		return errors.New("WebAssembly components are not supported yet")
	default:
		return fmt.Errorf("not a wasm binary (unknown version % x)", wasm[4:8])
	}
}
