package engine

import (
	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/engine/coremodule"
)

// cgoNative is the wasmtime C API fast path of wasmcall.go and wasiout.go,
// as the core-module host takes it.
type cgoNative struct{}

func (cgoNative) Context(store wasmtime.Storelike) coremodule.StoreContext {
	return cgoContext{storeContext(store)}
}

func (cgoNative) LookupFunc(store wasmtime.Storelike, inst *wasmtime.Instance, name string) *wasmtime.Func {
	return lookupFunc(store, inst, name)
}

func (cgoNative) LookupMemory(store wasmtime.Storelike, inst *wasmtime.Instance, name string) *wasmtime.Memory {
	return lookupMemory(store, inst, name)
}

func (cgoNative) SetOutputFD(wasi *wasmtime.WasiConfig, stderr bool, fd int) {
	which := guestStdout
	if stderr {
		which = guestStderr
	}
	setOutputFD(wasi, which, fd)
}

// cgoContext is a store's C context. A struct of one pointer, it is held
// in an interface without an allocation.
type cgoContext struct{ ctx storeCtx }

func (c cgoContext) MemoryData(m *wasmtime.Memory) []byte { return memoryData(c.ctx, m) }

func (c cgoContext) CallEach(f *wasmtime.Func, typed bool, nargs int, args, results []int32) error {
	return callEach(c.ctx, f, typed, nargs, args, results)
}

func (c cgoContext) CallI32(f *wasmtime.Func, typed bool, args ...int32) (int32, error) {
	return callI32(c.ctx, f, typed, args...)
}
