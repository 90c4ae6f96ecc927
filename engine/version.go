package engine

// WasmtimeVersion is the wasmtime release the engine links: wasmtime-go's
// version, which follows wasmtime's (a test checks it against go.mod).
const WasmtimeVersion = "39.0.1"
