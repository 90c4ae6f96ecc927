// Package capi is spinoci's own small cgo binding to the WebAssembly
// component-model C API of Wasmtime, linked against the libwasmtime.a that
// github.com/bytecodealliance/wasmtime-go/v39 ships (wasmtime-go has no Go
// API for components).
//
// It covers what a host needs to run components: compile, serialize and
// deserialize a Component; a Linker with host functions over dynamic values
// (Val) and host resources; a Store per instantiation carrying Go data; and
// calls into exported functions; and, for imports the host does not
// implement, Component.Imports (the import types) and Linker.DefineMissing
// (stubs that trap, without shadowing what the linker already provides). Host functions are not type-checked at link
// time by Wasmtime, so they must return values of exactly the declared WIT
// shape.
//
// The C declarations in capi.h are this package's own: only the prototypes
// and layouts it uses.
package capi
