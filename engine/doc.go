// Package engine runs Spin applications with wasmtime: the HTTP trigger
// (routing, well-known endpoints, Spin request headers), the Spin 1.x
// (wit-bindgen 0.2 canonical ABI) and WAGI executors, and the host
// interfaces that Spin 1.x modules import.
//
// It takes a local lock (component wasm and files already on disk, see
// appdir.Materialize) and serves HTTP on a listener. It knows nothing of
// containerd, OCI or how the application got onto disk.
//
// Each App owns one wasmtime Engine and Linker; every component's module is
// compiled once per App (optionally through an on-disk cache of serialized
// modules written only by this package) and every request runs in a fresh
// Store and instance.
package engine
