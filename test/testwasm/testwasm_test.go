package testwasm

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

const constWAT = `(module (func (export "f") (result i32) (i32.const 7)))`

func TestModuleRuns(t *testing.T) {
	engine := wasmtime.NewEngine()
	t.Cleanup(engine.Close)
	store := wasmtime.NewStore(engine)
	t.Cleanup(store.Close)
	inst, err := wasmtime.NewInstance(store, Module(t, engine, constWAT), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := inst.GetFunc(store, "f").Call(store)
	if err != nil || got != int32(7) {
		t.Errorf("f() = %v, %v; want 7", got, err)
	}
}

func TestFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	watPath := filepath.Join(dir, "c.wat")
	if err := os.WriteFile(watPath, []byte(constWAT), 0o644); err != nil {
		t.Fatal(err)
	}
	wasm := AssembleFile(t, watPath)
	if !bytes.Equal(wasm, Assemble(t, constWAT)) {
		t.Errorf("AssembleFile and Assemble of the same text differ")
	}
	p := Write(t, filepath.Join(dir, "c.wasm"), wasm)
	if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, wasm) {
		t.Errorf("Write: file holds %d bytes (%v), want the %d assembled", len(b), err, len(wasm))
	}
	if !bytes.HasPrefix(Assemble(t, "(component)"), []byte("\x00asm")) {
		t.Errorf("a component does not assemble to a wasm binary")
	}
}
