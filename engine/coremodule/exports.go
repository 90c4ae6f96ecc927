package coremodule

import "github.com/bytecodealliance/wasmtime-go/v39"

// The canonical ABI exports of wit-bindgen 0.2 modules that the host's
// guest memory access relies on.
const (
	ExportRealloc = "canonical_abi_realloc"
	ExportFree    = "canonical_abi_free"
	ExportMemory  = "memory"
)

// SpinIncompatible is Spin 1.x's wording for a module that lacks the
// canonical ABI exports.
const SpinIncompatible = "component is not compatible with Spin executor - should this use the Wagi executor?"

// ExternKind is the kind of a module export that classification cares
// about.
type ExternKind int

// Export kinds.
const (
	KindOther ExternKind = iota + 1
	KindFunc
	KindMemory
)

// ExportKinds maps the module's export names to their kinds.
func ExportKinds(m *wasmtime.Module) map[string]ExternKind {
	out := map[string]ExternKind{}
	for _, e := range m.Exports() {
		ty := e.Type()
		switch {
		case ty.FuncType() != nil:
			out[e.Name()] = KindFunc
		case ty.MemoryType() != nil:
			out[e.Name()] = KindMemory
		default:
			out[e.Name()] = KindOther
		}
	}
	return out
}
