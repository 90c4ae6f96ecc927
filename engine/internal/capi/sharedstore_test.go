package capi

import (
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/test/testwasm"
)

// TestSharedStoresSeeTheRegisteredData: host functions called in shared
// Stores, one after another, see the registered Store's data as it is
// then, and deleting a shared Store leaves the registration in place (with
// wasmtime-go's finalizer, deleting it would have unregistered the data).
func TestSharedStoresSeeTheRegisteredData(t *testing.T) {
	engine := wasmtime.NewEngine()
	defer engine.Close()
	module := testwasm.Module(t, engine, `(module
  (import "host" "get" (func $get (result i32)))
  (func (export "run") (result i32) (call $get)))`)
	linker := wasmtime.NewLinker(engine)
	defer linker.Close()
	err := linker.FuncNew("host", "get", wasmtime.NewFuncType(nil, []*wasmtime.ValType{wasmtime.NewValType(wasmtime.KindI32)}),
		func(c *wasmtime.Caller, _ []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
			v, ok := c.Data().(*int32)
			if !ok {
				return nil, wasmtime.NewTrap("the caller's data is not the registered *int32")
			}
			return []wasmtime.Val{wasmtime.ValI32(*v)}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	var value int32
	registered := wasmtime.NewStoreWithData(engine, &value)
	defer registered.Close()
	watch := NewDeadlineWatch(&countingDeadline{})
	defer watch.Release()
	for _, want := range []int32{7, 9} {
		value = want
		s, cx := NewSharedStore(registered, watch, 0)
		if cx != ContextOf(s) {
			t.Fatalf("NewSharedStore's context %v is not its Store's %v", cx, ContextOf(s))
		}
		inst, err := linker.Instantiate(s, module)
		if err != nil {
			t.Fatal(err)
		}
		got, err := inst.GetFunc(s, "run").Call(s)
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if got != want {
			t.Errorf("run = %v, want the registered data's %d", got, want)
		}
		DeleteSharedStore(s)
		DeleteSharedStore(s) // again: nothing
		if d, ok := registered.Data().(*int32); !ok || d != &value {
			t.Fatalf("after deleting a shared Store the registered data is %v, want %p", registered.Data(), &value)
		}
	}
}
