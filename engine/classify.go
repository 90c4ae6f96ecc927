package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Wasm header fields.
const (
	wasmMagic         = "\x00asm"
	coreModuleVersion = "\x01\x00\x00\x00"
	componentVersion  = "\x0d\x00\x01\x00"
)

// errSpinIncompatible is Spin 1.x's wording for a module that lacks the
// canonical ABI exports.
const errSpinIncompatible = "component is not compatible with Spin executor - should this use the Wagi executor?"

// Spin 1.x canonical ABI export names.
const (
	exportHandle  = "handle-http-request"
	exportRealloc = "canonical_abi_realloc"
	exportFree    = "canonical_abi_free"
	exportMemory  = "memory"
	exportInit    = "_initialize"
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

// externKind is the kind of a module export that classification cares about.
type externKind int

const (
	kindOther externKind = iota + 1
	kindFunc
	kindMemory
)

// exportKinds maps the module's export names to their kinds.
func exportKinds(m *wasmtime.Module) map[string]externKind {
	out := map[string]externKind{}
	for _, e := range m.Exports() {
		ty := e.Type()
		switch {
		case ty.FuncType() != nil:
			out[e.Name()] = kindFunc
		case ty.MemoryType() != nil:
			out[e.Name()] = kindMemory
		default:
			out[e.Name()] = kindOther
		}
	}
	return out
}

// checkSpinExports verifies that m speaks the Spin 1.x HTTP ABI and names
// the ABI variant when it clearly speaks another one.
func checkSpinExports(m *wasmtime.Module) error {
	exports := exportKinds(m)
	for name := range exports {
		switch {
		case name == "fermyon:spin/inbound-http#handle-request":
			return fmt.Errorf("unsupported ABI: module exports %q (Spin SDK 1.4/1.5, wit-bindgen 0.8): rebuild with spin-sdk <= 1.3", name)
		case strings.HasPrefix(name, "wasi:http/incoming-handler") && strings.HasSuffix(name, "#handle"):
			return fmt.Errorf("unsupported ABI: module exports %q (wasi:http core module): needs WASI 0.2 components", name)
		}
	}
	if _, ok := exports[exportHandle]; !ok {
		if _, old := exports["handler"]; old {
			return errors.New("unsupported ABI: module exports \"handler\" (obsolete pre-0.1 Spin ABI)")
		}
	}
	for _, name := range []string{exportHandle, exportRealloc, exportFree} {
		if exports[name] != kindFunc {
			return errors.New(errSpinIncompatible)
		}
	}
	if exports[exportMemory] != kindMemory {
		return errors.New(errSpinIncompatible)
	}
	return nil
}

// checkWagiExports verifies that m exports the WAGI entrypoint.
func checkWagiExports(m *wasmtime.Module, entrypoint string) error {
	if exportKinds(m)[entrypoint] != kindFunc {
		return fmt.Errorf("WAGI entrypoint %q is not an exported function", entrypoint)
	}
	return nil
}
