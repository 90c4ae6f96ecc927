// Package testwasm assembles WebAssembly text for tests: to a binary, to a
// file, or to a wasmtime module. Only tests import it; the shim's packages
// never do (they do not link wasmtime).
package testwasm

import (
	"os"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Assemble returns the binary of wat, a module or a component; t fails
// when it does not assemble.
func Assemble(t testing.TB, wat string) []byte {
	t.Helper()
	wasm, err := wasmtime.Wat2Wasm(wat)
	if err != nil {
		t.Fatalf("wat2wasm: %v", err)
	}
	return wasm
}

// AssembleFile is Assemble of the text in the file at path.
func AssembleFile(t testing.TB, path string) []byte {
	t.Helper()
	wat, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := wasmtime.Wat2Wasm(string(wat))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return wasm
}

// Write writes wasm to path and returns path.
func Write(t testing.TB, path string, wasm []byte) string {
	t.Helper()
	if err := os.WriteFile(path, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Module compiles wat for engine; the module is closed when t ends.
func Module(t testing.TB, engine *wasmtime.Engine, wat string) *wasmtime.Module {
	t.Helper()
	m, err := wasmtime.NewModule(engine, Assemble(t, wat))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// StdioWriterWAT is a WASI module whose export "run" writes "out!" to its
// stdout and then "err!" to its stderr.
const StdioWriterWAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "out!err!")
  (func (export "run")
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 4))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 0) (i32.const 20))
    (drop (call $write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))))`
