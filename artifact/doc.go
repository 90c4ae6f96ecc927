// Package artifact is the OCI side of spinoci: the media types Spin uses, the
// recognition of the Spin artifact layouts (format A: the config blob is the
// lock; format B: an OCI image config plus the lock as the last layer; a bare
// single-layer Wasm package), reading and verifying manifests, configs and
// layers (Load), and building the artifacts `spin registry push` produces
// (Pack).
//
// Load reads blobs through BlobReader, a small streaming interface that
// containerd's content store (in the shim) and the CLI's registry and cache
// (oras) both adapt to. Manifests, configs and the lock are read whole within
// a size bound; layers are streamed and verified as they are read.
//
// It hands the rest of spinoci a parsed lock.LockedApp and an appdir.Content
// from which the wasm and static files can be read by digest. It knows
// nothing of wasmtime, of the shim's task service or of how an application
// is run.
package artifact
