// Package lock holds the Spin lockfile (LockedApp, `spin.lock`) schema, its
// validation rules (spin_lock_version, must_understand, host_requirements),
// and the materialisation of an application directory from a lock and a
// source of content addressed by digest.
//
// It is pure data and files: it knows nothing of containerd, OCI registries
// or wasmtime. Content arrives through the small Blobs interface.
package lock
