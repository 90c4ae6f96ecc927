// Package wasip2 is spinoci's WASI 0.2 host for WebAssembly components,
// written in Go over the dynamic values of package component: wasi:io,
// wasi:cli, wasi:clocks, wasi:random, wasi:filesystem (read-only mounts),
// wasi:sockets (denied), wasi:http/types and wasi:http/outgoing-handler,
// the fermyon:spin@2.0.0 interfaces (variables and key-value through small
// provider interfaces; the others link and fail naming the function), and
// the unversioned fermyon:spin config and key-value of componentized Spin
// 1.x modules (on the same providers).
//
// Everything that mentions streams, pollables or io errors is implemented
// here together: resource types made through the C API never equal
// Wasmtime's built-in WASI ones (docs/design/components.md).
//
// A Host is defined once into a component.Linker; every instantiation gets a
// Store whose data is a *State (its resource table and request). Serve runs
// one wasi:http/incoming-handler call, CallInbound one
// fermyon:spin/inbound-http call.
package wasip2
