// Package engine runs Spin applications with wasmtime: the App (loading a
// lock, the HTTP trigger's router, the well-known endpoints, Serve) and the
// executor interface its components are served through.
//
// It takes a local lock (component wasm and files already on disk, see
// appdir.Materialize) and serves HTTP on a listener. It knows nothing of
// containerd, OCI or how the application got onto disk.
//
// The executors live in engine/executor/... (spinhttp: Spin 1.x HTTP core
// modules, wagi: WAGI, component: wasi:http and fermyon:spin/inbound-http
// components), the core-module host they share in engine/coremodule, the
// routed request they get in engine/inbound, and the host capabilities
// (key-value, variables, outbound HTTP, outbound networking) in
// engine/capability/..., bound by both the Spin 1.x imports and
// engine/wasip2.
//
// The other triggers' components are loaded through App.RedisHandler,
// App.MQTTHandler and App.Command (Spin 1.x handle-redis-message modules in
// engine/executor/spinredis, WASI command modules in
// engine/executor/command, components through engine/wasip2); the
// triggers themselves, which subscribe and call them, are in
// engine/trigger/{redis,mqtt,command}. The list of trigger types is in
// package lock (lock.SupportedTriggerTypes).
//
// Each App owns its wasmtime engines (one for core modules, one for
// components, and Winch's for a first start); every component's module is
// compiled once per App (optionally through an on-disk cache of serialized
// modules written only by this package) and every request runs in a fresh
// Store and instance from the engine's pool. An idle App swaps in fresh
// engines to give back the memory their pools kept (renew.go).
package engine
