// Package coremodule hosts core WebAssembly modules for the Spin 1.x HTTP
// and WAGI executors: one Linker per App with WASI preview 1 and every Spin
// 1.x host import (key-value, spin-config, wasi-outbound-http, sqlite, llm
// and outbound-redis bound thinly to the capability packages, some also
// under the fermyon:spin names of wit-bindgen 0.8 modules; the others trap
// naming themselves), a
// fresh Store per request (instance slots, WASI environment, argv, read-only
// preopens, guest output), guest memory and the canonical ABI allocator of
// wit-bindgen 0.2 modules, and the helpers host imports are written with.
//
// Calls into guests and guest memory access go through the wasmtime C API
// fast path of engine/internal/capi: wasmtime-go's own Func.Call,
// export lookups and memory accessors cost several cgo calls and
// finalizers each, which dominated a Spin request.
package coremodule
