package coremodule

import (
	"fmt"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// RuntimeName names this runtime in "not supported" traps.
const RuntimeName = "containerd-shim-spinoci-v1"

// hostImport is one Spin 1.x host function. Params lists
// the wasm parameter kinds; no import has a result.
type hostImport struct {
	module, name string
	params       []wasmtime.ValKind
}

func i32s(n int) []wasmtime.ValKind {
	out := make([]wasmtime.ValKind, n)
	for i := range out {
		out[i] = wasmtime.KindI32
	}
	return out
}

// spinImports lists every Spin 1.x host import that modules may link
// against, with its exact signature.
func spinImports() []hostImport {
	f32, i32 := wasmtime.KindF32, wasmtime.KindI32
	return []hostImport{
		{"wasi-outbound-http", "request", i32s(11)},
		{"spin-config", "get-config", i32s(3)},
		{"key-value", "open", i32s(3)},
		{"key-value", "get", i32s(4)},
		{"key-value", "set", i32s(6)},
		{"key-value", "delete", i32s(4)},
		{"key-value", "exists", i32s(4)},
		{"key-value", "get-keys", i32s(2)},
		{"key-value", "close", i32s(1)},
		{"outbound-redis", "publish", i32s(7)},
		{"outbound-redis", "set", i32s(7)},
		{"outbound-redis", "get", i32s(5)},
		{"outbound-redis", "incr", i32s(5)},
		{"outbound-redis", "del", i32s(5)},
		{"outbound-redis", "sadd", i32s(7)},
		{"outbound-redis", "smembers", i32s(5)},
		{"outbound-redis", "srem", i32s(7)},
		{"outbound-redis", "execute", i32s(7)},
		{"outbound-pg", "query", i32s(7)},
		{"outbound-pg", "execute", i32s(7)},
		{"outbound-mysql", "query", i32s(7)},
		{"outbound-mysql", "execute", i32s(7)},
		{"sqlite", "open", i32s(3)},
		{"sqlite", "execute", i32s(6)},
		{"sqlite", "close", i32s(1)},
		{"llm", "infer", []wasmtime.ValKind{i32, i32, i32, i32, i32, i32, f32, i32, f32, i32, f32, i32}},
		{"llm", "generate-embeddings", i32s(5)},
	}
}

// The Host's Linker is filled as its modules are first instantiated, with
// the imports each one names (linkImports): defining every WASI and Spin
// 1.x import up front took ~0.5 ms of every app process's start (a cgo call
// and a Go callback per function), most of them for functions the app never
// imports. WASI preview1 comes whole (DefineWasi), for a module that
// imports any of it; key-value, spin-config, wasi-outbound-http, sqlite,
// llm, outbound-redis, outbound-pg and outbound-mysql are implemented, the
// other Spin 1.x imports are stubs that trap naming the function. An
// import the Host does not know stays undefined, and the instantiation
// names it. Per-request state reaches the imports through the Store's data
// (instanceState).

// linkedImports are what a Host's Linker defines so far.
type linkedImports struct {
	wasi    bool
	defined map[string]bool // by importKey
}

// linkImports defines in h's Linker the imports of m it does not define
// yet. It may be called while the Host serves (linkMu).
func (h *Host) linkImports(m *wasmtime.Module) error {
	imports := m.Imports()
	h.linkMu.Lock()
	defer h.linkMu.Unlock()
	var known map[string]hostImport // built once, if a Spin import is new
	for _, imp := range imports {
		name := imp.Name()
		if name == nil {
			continue
		}
		module := imp.Module()
		if strings.HasPrefix(module, "wasi_") {
			if !h.linked.wasi {
				if err := h.linker.DefineWasi(); err != nil {
					return fmt.Errorf("define WASI: %w", err)
				}
				h.linked.wasi = true
			}
			continue
		}
		key := importKey(module, *name)
		if h.linked.defined[key] {
			continue
		}
		if known == nil {
			known = knownImports()
		}
		hi, ok := known[key]
		if !ok {
			continue
		}
		if err := defineImport(h.linker, hi); err != nil {
			return err
		}
		h.linked.defined[key] = true
	}
	return nil
}

// knownImports are the Spin 1.x (and wit-bindgen 0.8 Spin) host imports
// the Host has, by importKey.
func knownImports() map[string]hostImport {
	known := map[string]hostImport{}
	for _, list := range [][]hostImport{spinImports(), spin08Imports()} {
		for _, imp := range list {
			known[importKey(imp.module, imp.name)] = imp
		}
	}
	return known
}

// importKey identifies the import module.name.
func importKey(module, name string) string { return module + "\x00" + name }

// defineImport defines imp in l: its implementation, or a stub that traps
// naming it.
func defineImport(l *wasmtime.Linker, imp hostImport) error {
	params := make([]*wasmtime.ValType, len(imp.params))
	for i, k := range imp.params {
		params[i] = wasmtime.NewValType(k)
	}
	msg := fmt.Sprintf("%s.%s is not supported by %s", imp.module, imp.name, RuntimeName)
	fn := func(*wasmtime.Caller, []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
		return nil, wasmtime.NewTrap(msg)
	}
	impl := hostImplementation(imp.module, imp.name)
	if impl == nil {
		impl = spin08Implementation(imp.module, imp.name)
	}
	if impl != nil {
		fn = wrapHost(imp.module, imp.name, impl)
	}
	if err := l.FuncNew(imp.module, imp.name, wasmtime.NewFuncType(params, nil), fn); err != nil {
		return fmt.Errorf("define %s.%s: %w", imp.module, imp.name, err)
	}
	return nil
}
