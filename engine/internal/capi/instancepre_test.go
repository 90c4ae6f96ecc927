package capi

import (
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

func TestInstancePre(t *testing.T) {
	engine := wasmtime.NewEngine()
	defer engine.Close()
	wasm, err := wasmtime.Wat2Wasm(`(module
	  (import "host" "double" (func $double (param i32) (result i32)))
	  (func (export "f") (param i32) (result i32) (call $double (local.get 0))))`)
	if err != nil {
		t.Fatal(err)
	}
	m, err := wasmtime.NewModule(engine, wasm)
	if err != nil {
		t.Fatal(err)
	}
	l := wasmtime.NewLinker(engine)
	if _, err := NewInstancePre(l, m); err == nil || !strings.Contains(err.Error(), "host") {
		t.Fatalf("unresolved import: %v", err)
	}
	if err := l.FuncWrap("host", "double", func(x int32) int32 { return 2 * x }); err != nil {
		t.Fatal(err)
	}
	pre, err := NewInstancePre(l, m)
	if err != nil {
		t.Fatal(err)
	}
	for i := range int32(3) {
		store := wasmtime.NewStore(engine)
		inst, err := pre.Instantiate(store)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := CallI32(ContextOf(store), LookupFunc(store, inst, "f"), false, i); err != nil || got != 2*i {
			t.Fatalf("f(%d) = %d, %v", i, got, err)
		}
		store.Close()
	}
	trapping, err := wasmtime.Wat2Wasm(`(module (func $s unreachable) (start $s))`)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := wasmtime.NewModule(engine, trapping)
	if err != nil {
		t.Fatal(err)
	}
	tpre, err := NewInstancePre(l, tm)
	if err != nil {
		t.Fatal(err)
	}
	store := wasmtime.NewStore(engine)
	defer store.Close()
	if _, err := tpre.Instantiate(store); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("trapping start: %v", err)
	}
}
