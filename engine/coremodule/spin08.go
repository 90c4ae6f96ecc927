package coremodule

import (
	"fmt"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// ExportCABIRealloc is the allocator of wit-bindgen 0.8 modules (Rust
// spin-sdk 1.4/1.5); it has canonical_abi_realloc's signature.
const ExportCABIRealloc = "cabi_realloc"

// spin08Module is the import module prefix of wit-bindgen 0.8 modules: the
// unversioned fermyon:spin interfaces.
const spin08Module = "fermyon:spin/"

// spin08Imports lists the wit-bindgen 0.8 names of the Spin 1.x imports this
// host implements. Their canonical ABI flat signatures and result layouts
// are those of the wit-bindgen 0.2 imports they map to (spin08Implementation).
func spin08Imports() []hostImport {
	return []hostImport{
		{spin08Module + "http", "send-request", i32s(11)},
		{spin08Module + "config", "get-config", i32s(3)},
		{spin08Module + "key-value", "open", i32s(3)},
		{spin08Module + "key-value", "get", i32s(4)},
		{spin08Module + "key-value", "set", i32s(6)},
		{spin08Module + "key-value", "delete", i32s(4)},
		{spin08Module + "key-value", "exists", i32s(4)},
		{spin08Module + "key-value", "get-keys", i32s(2)},
		{spin08Module + "key-value", "close", i32s(1)},
		{spin08Module + "redis", "publish", i32s(7)},
		{spin08Module + "redis", "set", i32s(7)},
		{spin08Module + "redis", "get", i32s(5)},
		{spin08Module + "redis", "incr", i32s(5)},
		{spin08Module + "redis", "del", i32s(5)},
		{spin08Module + "redis", "sadd", i32s(7)},
		{spin08Module + "redis", "smembers", i32s(5)},
		{spin08Module + "redis", "srem", i32s(7)},
		{spin08Module + "redis", "execute", i32s(7)},
	}
}

// spin08Implementation returns the implementation of a wit-bindgen 0.8
// import: that of the wit-bindgen 0.2 import with the same flat shape.
func spin08Implementation(module, name string) hostFunc {
	switch {
	case module == spin08Module+"http" && name == "send-request":
		return hostImplementation("wasi-outbound-http", "request")
	case module == spin08Module+"config":
		return hostImplementation("spin-config", name)
	case module == spin08Module+"key-value":
		return hostImplementation("key-value", name)
	case module == spin08Module+"redis":
		return hostImplementation("outbound-redis", name)
	}
	return nil
}

// DefineUnsupported08Imports links every fermyon:spin import of c's
// module that this host does not implement (postgres, mysql, sqlite, llm,
// …) as a function of the import's own type that traps naming it, so that
// the module instantiates. It may be called while the Host serves (linkMu).
func (h *Host) DefineUnsupported08Imports(c *Component) error {
	h.linkMu.Lock()
	defer h.linkMu.Unlock()
	known := map[string]bool{}
	for _, imp := range spin08Imports() {
		known[imp.module+"#"+imp.name] = true
	}
	if h.defined08 == nil {
		h.defined08 = map[*Component]bool{}
	}
	h.defined08[c] = true
	m := c.CurrentModule()
	h.linker.AllowShadowing(true)
	defer h.linker.AllowShadowing(false)
	for _, imp := range m.Imports() {
		if !strings.HasPrefix(imp.Module(), spin08Module) || imp.Name() == nil {
			continue
		}
		name := imp.Module() + "#" + *imp.Name()
		ft := imp.Type().FuncType()
		if known[name] || ft == nil {
			continue
		}
		// A type made here, not the import's: that belongs to m's engine,
		// which is not h's when h links m for the move from its Winch
		// code (PrepareUpgrade), and wasmtime aborts the process on a
		// type of another engine. Spin 1.x imports take and return
		// numbers only, which a type of kinds rebuilds whole.
		ft = wasmtime.NewFuncType(ft.Params(), ft.Results())
		msg := fmt.Sprintf("%s is not supported by %s", name, RuntimeName)
		err := h.linker.FuncNew(imp.Module(), *imp.Name(), ft, func(*wasmtime.Caller, []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
			return nil, wasmtime.NewTrap(msg)
		})
		if err != nil {
			return fmt.Errorf("define %s: %w", name, err)
		}
	}
	return nil
}
