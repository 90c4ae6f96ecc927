package spinhttp

import (
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/engine/coremodule"
	"github.com/spinoci/spinoci/test/testwasm"
)

// spinExportsWAT is a module with the Spin 1.x HTTP exports the host
// calls, with their Spin signatures.
const spinExportsWAT = `(module
  (memory (export "memory") 1)
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 0))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32) (i32.const 0)))`

func TestCheckedSignatures(t *testing.T) {
	engine := wasmtime.NewEngine()
	defer engine.Close()
	for _, tc := range []struct {
		name, from, to string
		want           bool
	}{
		{"spin ABI", "", "", true},
		{"realloc returns i64", `(param i32 i32 i32 i32) (result i32) (i32.const 0)`,
			`(param i32 i32 i32 i32) (result i64) (i64.const 4096)`, false},
		{"free takes four params", `(func (export "canonical_abi_free") (param i32 i32 i32))`,
			`(func (export "canonical_abi_free") (param i32 i32 i32 i32))`, false},
		{"no free", `(func (export "canonical_abi_free") (param i32 i32 i32))`, ``, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wat := strings.Replace(spinExportsWAT, tc.from, tc.to, 1)
			if tc.from != "" && wat == spinExportsWAT {
				t.Fatal("fixture changed: nothing replaced")
			}
			if got := checkedSignatures(testwasm.Module(t, engine, wat)); got != tc.want {
				t.Errorf("checkedSignatures = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheckExports(t *testing.T) {
	engine := wasmtime.NewEngine()
	defer engine.Close()
	if err := checkExports(coremodule.ExportKinds(testwasm.Module(t, engine, spinExportsWAT))); err != nil {
		t.Errorf("Spin module: %v", err)
	}
	noMemory := strings.Replace(spinExportsWAT, `(memory (export "memory") 1)`, `(memory 1)`, 1)
	if err := checkExports(coremodule.ExportKinds(testwasm.Module(t, engine, noMemory))); err == nil || err.Error() != "component is not compatible with Spin executor - should this use the Wagi executor?" {
		t.Errorf("module without memory: %v", err)
	}
}
