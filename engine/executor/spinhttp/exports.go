package spinhttp

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/engine/coremodule"
)

// checkExports verifies that a module of exports speaks the Spin 1.x HTTP
// ABI and names the ABI variant when it clearly speaks another one.
func checkExports(exports map[string]coremodule.ExternKind) error {
	for name := range exports {
		switch {
		case strings.HasPrefix(name, "wasi:http/incoming-handler") && strings.HasSuffix(name, "#handle"):
			return fmt.Errorf("unsupported ABI: module exports %q (wasi:http core module): needs WASI 0.2 components", name)
		}
	}
	if _, ok := exports[exportHandle]; !ok {
		if _, old := exports["handler"]; old {
			return errors.New("unsupported ABI: module exports \"handler\" (obsolete pre-0.1 Spin ABI)")
		}
	}
	for _, name := range []string{exportHandle, coremodule.ExportRealloc, coremodule.ExportFree} {
		if exports[name] != coremodule.KindFunc {
			return errors.New(coremodule.SpinIncompatible)
		}
	}
	if exports[coremodule.ExportMemory] != coremodule.KindMemory {
		return errors.New(coremodule.SpinIncompatible)
	}
	return nil
}

// spinSignature is the wasm type of a Spin export the host calls:
// its numbers of i32 params and i32 results.
func spinSignature(name string) (params, results int, ok bool) {
	switch name {
	case coremodule.ExportRealloc:
		return 4, 1, true
	case coremodule.ExportFree:
		return 3, 0, true
	case exportHandle:
		return 10, 1, true
	}
	return 0, 0, false
}

// spinSignatureCount is how many exports spinSignature knows.
const spinSignatureCount = 3

// checkedSignatures reports whether m's Spin exports have exactly the
// types the host calls them with, so that calls may skip wasmtime's type
// check (capi.CallEach). Otherwise every call is checked and a mismatch fails
// the request, as before.
func checkedSignatures(m *wasmtime.Module) bool {
	found := 0
	for _, e := range m.Exports() {
		params, results, ok := spinSignature(e.Name())
		if !ok {
			continue
		}
		ft := e.Type().FuncType()
		if ft == nil || !allI32(ft.Params(), params) || !allI32(ft.Results(), results) {
			return false
		}
		found++
	}
	return found == spinSignatureCount
}

func allI32(types []*wasmtime.ValType, n int) bool {
	if len(types) != n {
		return false
	}
	for _, t := range types {
		if t.Kind() != wasmtime.KindI32 {
			return false
		}
	}
	return true
}
