// Package lock holds the Spin lockfile (LockedApp, `spin.lock`) schema, its
// validation rules (spin_lock_version, must_understand, host_requirements)
// and typed accessors for what the rest of spinoci reads from it: HTTP
// trigger configuration, application info and component metadata
// (key-value stores, SQLite databases, outbound host allow-lists).
//
// It is pure data: it does no I/O and knows nothing of files, containerd,
// OCI registries or wasmtime. Building an application directory from a lock
// is the job of package artifact/appdir.
package lock
