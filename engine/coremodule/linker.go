package coremodule

import (
	"fmt"

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

// newLinker returns the App's Linker: WASI preview1 plus every Spin 1.x
// host import: key-value, spin-config, wasi-outbound-http, sqlite, llm,
// outbound-redis, outbound-pg and outbound-mysql are implemented, the
// others are stubs that trap naming the function.
// Per-request state reaches the imports through the Store's data
// (instanceState).
func newLinker(engine *wasmtime.Engine) (*wasmtime.Linker, error) {
	l := wasmtime.NewLinker(engine)
	if err := l.DefineWasi(); err != nil {
		l.Close()
		return nil, fmt.Errorf("define WASI: %w", err)
	}
	for _, imp := range append(spinImports(), spin08Imports()...) {
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
			l.Close()
			return nil, fmt.Errorf("define %s.%s: %w", imp.module, imp.name, err)
		}
	}
	return l, nil
}
