// Package wasip2 is spinoci's WASI 0.2 host for WebAssembly components,
// written in Go over the dynamic values of package component: wasi:io,
// wasi:cli, wasi:clocks, wasi:random, wasi:filesystem (read-only mounts),
// wasi:sockets (outgoing TCP to allowed destinations; name lookup of
// allowed names; bind, listen and UDP denied), wasi:http/types and
// wasi:http/outgoing-handler, the fermyon:spin@2.0.0 interfaces (variables,
// key-value, sqlite, llm, redis, mqtt, postgres and mysql through small
// provider interfaces), spin:postgres/postgres@3.0.0,
// wasi:keyvalue@0.2.0-draft2 and wasi:config/store on the same providers,
// and the unversioned fermyon:spin config, key-value, redis, postgres and
// mysql of componentized Spin 1.x modules. The WASI 0.2 release candidates of
// Spin 2.0 (0.2.0-rc-2023-10-18) and Spin 2.1 (0.2.0-rc-2023-11-10) are
// defined too, bound to the same implementations with the functions whose
// names or shapes changed adapted (rc.go).
//
// Everything that mentions streams, pollables or io errors is implemented
// here together: resource types made through the C API never equal
// Wasmtime's built-in WASI ones (docs/design/components.md).
//
// Wasmtime does not type-check host functions at link time: a host function
// receives its arguments as the guest's import declares them. So each host
// function declares the WIT type of every parameter with a reader (argString,
// borrowed, owned, argOption, …) through an fnN adapter, which checks all
// arguments before the body runs; a mismatch traps with an error naming the
// function, the parameter, the type expected and the type received.
//
// A Host is defined once into a capi.Linker; every instantiation gets a
// Store whose data is a *State (its resource table and request). Serve runs
// one wasi:http/incoming-handler call, CallInbound one
// fermyon:spin/inbound-http call.
//
// The tests run small components written in the component text format
// (testdata/*.wat) against the host in-process.
package wasip2
