package coremodule

import (
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// unsupported08WAT imports a fermyon:spin function no host implements and
// calls it from f.
const unsupported08WAT = `(module
  (import "fermyon:spin/mqtt" "publish" (func $publish (param i32 i32)))
  (func (export "f") (call $publish (i32.const 0) (i32.const 0))))`

// TestPrepareUpgradeSpin08: the Cranelift Host links the unsupported
// Spin 0.8 imports of a module loaded into the Winch engine (its import
// types are that engine's: wasmtime aborts the process on a type of
// another engine), so that the optimised code instantiates there and its
// calls trap naming the import.
func TestPrepareUpgradeSpin08(t *testing.T) {
	winchEngine, craneliftEngine := winchAndCranelift(t)
	wasm, err := wasmtime.Wat2Wasm(unsupported08WAT)
	if err != nil {
		t.Fatal(err)
	}
	modules := map[*wasmtime.Engine]*wasmtime.Module{}
	for _, e := range []*wasmtime.Engine{winchEngine, craneliftEngine} {
		m, err := wasmtime.NewModule(e, wasm)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		modules[e] = m
	}
	winch, err := NewHost(Config{Engine: winchEngine, InstanceLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer winch.Close()
	cranelift, err := NewHost(Config{Engine: craneliftEngine, InstanceLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer cranelift.Close()

	c := &Component{ID: "c", Module: modules[winchEngine]}
	if err := winch.DefineUnsupported08Imports(c); err != nil {
		t.Fatal(err)
	}
	if err := cranelift.PrepareUpgrade(winch, c); err != nil {
		t.Fatal(err)
	}
	c.UpgradeTo(cranelift, modules[craneliftEngine])
	s, err := winch.NewStore(t.Context(), c, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inst, err := winch.Instantiate(s, c)
	if err != nil {
		t.Fatalf("the optimised code does not instantiate on the Cranelift Host: %v", err)
	}
	_, err = capi.LookupFunc(s, inst, "f").Call(s)
	if err == nil || !strings.Contains(err.Error(), "fermyon:spin/mqtt#publish is not supported by "+RuntimeName) {
		t.Errorf("f() = %v, want the trap naming the import", err)
	}
	if cranelift.InstancesInUse() != 1 {
		t.Errorf("Cranelift instance slots in use: %d, want the upgraded Store's", cranelift.InstancesInUse())
	}
}
