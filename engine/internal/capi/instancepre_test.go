package capi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/test/testwasm"
)

func TestInstancePre(t *testing.T) {
	engine := wasmtime.NewEngine()
	defer engine.Close()
	m := testwasm.Module(t, engine, `(module
	  (import "host" "double" (func $double (param i32) (result i32)))
	  (func (export "f") (param i32) (result i32) (call $double (local.get 0))))`)
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
	tm := testwasm.Module(t, engine, `(module (func $s unreachable) (start $s))`)
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

// importsModule is a module importing n functions of l, as a Spin module
// imports its host's.
func importsModule(b *testing.B, engine *wasmtime.Engine, n int) (*wasmtime.Linker, *wasmtime.Module) {
	b.Helper()
	l := wasmtime.NewLinker(engine)
	wat := "(module"
	for i := range n {
		name := fmt.Sprintf("f%d", i)
		wat += fmt.Sprintf(` (import "host" %q (func (param i32 i32) (result i32)))`, name)
		if err := l.FuncWrap("host", name, func(a, b int32) int32 { return a + b }); err != nil {
			b.Fatal(err)
		}
	}
	return l, testwasm.Module(b, engine, wat+` (memory (export "memory") 17))`)
}

// BenchmarkInstantiate compares a Store plus an instance of a module with
// 30 imports made through the linker (resolving every import) and through
// an InstancePre.
func BenchmarkInstantiate(b *testing.B) {
	engine, _ := NewModuleEngine()
	defer engine.Close()
	l, m := importsModule(b, engine, 30)
	pre, err := NewInstancePre(l, m)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name        string
		instantiate func(*wasmtime.Store) error
	}{
		{"linker", func(s *wasmtime.Store) error { _, err := l.Instantiate(s, m); return err }},
		{"pre", func(s *wasmtime.Store) error { _, err := pre.Instantiate(s); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				store := wasmtime.NewStore(engine)
				if err := bc.instantiate(store); err != nil {
					b.Fatal(err)
				}
				store.Close()
			}
		})
	}
}

// InstantiateExporting finds the exports of its names that the instance
// has, of the right kind, and none when instantiating traps.
func TestInstantiateExporting(t *testing.T) {
	engine := wasmtime.NewEngine()
	defer engine.Close()
	l := wasmtime.NewLinker(engine)
	m := testwasm.Module(t, engine, `(module (memory (export "memory") 1)
	  (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))`)
	pre, err := NewInstancePre(l, m)
	if err != nil {
		t.Fatal(err)
	}
	names, err := NewExportNames("memory", "f", "nope", "", "memory")
	if err != nil {
		t.Fatal(err)
	}
	store := wasmtime.NewStore(engine)
	defer store.Close()
	cx := ContextOf(store)
	var inst wasmtime.Instance
	var out Exports
	if err := pre.InstantiateExporting(cx, &inst, names, &out); err != nil {
		t.Fatal(err)
	}
	if out.Memory() == nil || len(MemoryData(cx, out.Memory())) != 65536 {
		t.Error("memory not found")
	}
	if got, err := CallI32(cx, out.Func(0), false, 41); err != nil || got != 42 {
		t.Errorf("f(41) = %d, %v", got, err)
	}
	for i, name := range []string{"nope", "", "memory (not a function)"} {
		if out.Func(i+1) != nil {
			t.Errorf("function %s found", name)
		}
	}

	tm := testwasm.Module(t, engine, `(module (memory (export "memory") 1) (func $s unreachable) (start $s))`)
	tpre, err := NewInstancePre(l, tm)
	if err != nil {
		t.Fatal(err)
	}
	if err := tpre.InstantiateExporting(cx, &inst, names, &out); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("trapping start: %v", err)
	}
	if out.Memory() != nil {
		t.Error("exports found for an instance whose start trapped")
	}
}
