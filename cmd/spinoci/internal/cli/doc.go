// Package cli implements the spinoci command line: push, pull, inspect and
// run Spin applications as OCI artifacts, with the same artifact, lock and
// engine packages as the containerd shim.
//
// Exit codes: 0 on success, 1 when a command fails, 2 for usage errors
// (unknown commands or flags, wrong arguments, malformed flag values).
package cli
