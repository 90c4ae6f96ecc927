// Package shim is the containerd shim v2 side of spinoci: it starts and stops
// the shim server (the start and delete actions, including the JSON start
// reply that containerd < 2.3 needs), serves the task API v3 over ttrpc, keeps
// each task's lifecycle, publishes task events, wires the container's stdio,
// fetches the Spin application from containerd's content store, and runs each
// container's app in a child process of its own.
//
// It knows nothing of wasmtime: the child process hands the materialised app
// to package engine.
package shim
