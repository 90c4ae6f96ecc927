package coremodule

import "github.com/bytecodealliance/wasmtime-go/v39"

// Native is the wasmtime C API fast path: what wasmtime-go's
// Instance.GetFunc, Memory.UnsafeData and Func.Call do, with the same
// checks, without their Go-side cost. Unlike Func.Call, its calls do not
// re-raise a Go panic of a host import called meanwhile; wrapHost turns
// those into traps itself.
type Native interface {
	// Context returns the C context of store (a Store, or a Caller during
	// a host call); it stays valid as long as the store.
	Context(store wasmtime.Storelike) StoreContext
	// LookupFunc returns inst's exported function name, or nil.
	LookupFunc(store wasmtime.Storelike, inst *wasmtime.Instance, name string) *wasmtime.Func
	// LookupMemory returns inst's exported memory name, or nil.
	LookupMemory(store wasmtime.Storelike, inst *wasmtime.Instance, name string) *wasmtime.Memory
	// SetOutputFD sends the guest's stdout (or stderr) to fd, a blocking
	// file descriptor that must stay open as long as the Store.
	SetOutputFD(wasi *wasmtime.WasiConfig, stderr bool, fd int)
}

// StoreContext calls into the instances of one store.
type StoreContext interface {
	// MemoryData returns m's bytes; the slice is only valid until the next
	// call into the guest (which may grow the memory).
	MemoryData(m *wasmtime.Memory) []byte
	// CallEach calls f once per row of nargs i32 arguments in args, in
	// order, stopping at the first failure. With results non-nil, f must
	// return one i32, stored per row. typed says that f's type is known to
	// match, so that wasmtime skips its own type check.
	CallEach(f *wasmtime.Func, typed bool, nargs int, args, results []int32) error
	// CallI32 calls f, which returns one i32, with args (typed: see
	// CallEach).
	CallI32(f *wasmtime.Func, typed bool, args ...int32) (int32, error)
}
