// Package capi is the engine's binding to Wasmtime's C API: the only cgo of
// the engine and the only place that knows Wasmtime's C layouts. It links
// against the libwasmtime.a that github.com/bytecodealliance/wasmtime-go/v39
// ships and covers what wasmtime-go has no Go API for:
//
//   - Components (wasmtime-go has no component API): compile, serialize and
//     deserialize a Component; a Linker with host functions over dynamic
//     values (Val) and host resources; a Store per instantiation carrying
//     Go data, with epoch deadlines; calls into exported functions; and,
//     for imports the host does not implement, Component.Imports (the
//     import types) and Linker.DefineMissing (stubs that trap, without
//     shadowing what the linker already provides). Host functions are not
//     type-checked at link time by Wasmtime, so they must return values of
//     exactly the declared WIT shape.
//   - Fast paths for core modules run by wasmtime-go: export lookup,
//     memory access and calls with i32 arguments (LookupFunc, MemoryData,
//     CallEach) without wasmtime-go's per-call Go overhead, and a request's
//     per-Store and per-instance setup in one cgo call each
//     (NewSharedStore: Stores that share a registered Store's Go data,
//     which wasmtime-go registers, finalizes and unregisters, with a
//     callback into Go, for each Store it makes; InstantiateExporting).
//   - The pooling instance allocator for core modules (NewModuleEngine,
//     with epoch interruption on) and components (NewEngineAt, whose
//     Linker.Instantiate waits for a free slot), guest output written straight to a file descriptor
//     (SetStdoutFD), stdin from memory (SetStdinBytes) and an epoch deadline
//     callback for core module Stores (NewSharedStore), which wasmtime-go's
//     Config, WasiConfig and Store do not offer; a memory cap for component
//     Stores (Store.LimitMemory).
//   - Errors and traps without the host's native stack trace (TrimNative),
//     which Wasmtime appends when Rust backtraces are on.
//   - The compile cache for both (CompileModule, CompileComponent): compiled
//     code serialized to a directory, keyed by the wasm's sha256, the
//     engine's config id and the code's Tier (Optimized; Fast, Cranelift's
//     quicker compile: Cranelift engines of either tier load both; Winch,
//     the baseline compiler's, which only Winch engines load: winch.go),
//     and only deserialized when it matches the checksum written with it.
//     PrecompileModule and PrecompileComponent fill it without loading
//     (the shim's compile stages), one stage per entry at a time (the
//     others wait on its lock file and use what it wrote). Compiled code in
//     use holds a shared lock on its entry, which the shim's
//     least-recently-used eviction respects.
//
// cgo cannot include wasmtime-go's headers, so capi.h declares the
// prototypes, types and constants used here. The layout test compares them,
// and wasmtime-go's structs that are cast to C types, with the headers of
// the pinned wasmtime-go, so that a version bump that changes any of them
// fails the tests.
package capi
