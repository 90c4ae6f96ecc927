// Package artifact is the OCI side of spinoci: the media types Spin uses, the
// recognition of the Spin artifact layouts (format A: the config blob is the
// lock; format B: an OCI image config plus the lock as the last layer; a bare
// single-layer Wasm package), reading and verifying manifests, configs and
// layers through containerd's content interfaces (Load), and building the
// artifacts `spin registry push` produces (Pack).
//
// It hands the rest of the shim a parsed lock.LockedApp and an appdir.Content
// from which the wasm and static files can be read by digest. It knows
// nothing of wasmtime, of the shim's task service or of how an application
// is run.
package artifact
