// Package harness runs the real parts that the end-to-end tests, the demo and
// the benchmark of spinoci need: an OCI registry and containerd daemons built
// from source at pinned versions (by `make tools`), each started on loopback
// or under a private temporary directory, never touching a system daemon.
//
// It also pushes Spin applications to the registry (through artifact.Pack and
// oras-go) and hand-built artifacts that the shim must refuse, writes local
// lockfiles for the test apps built by test/apps/build.sh, and drives ctr.
//
// Everything is tied to a T (a *testing.T, or a Program for the demo and the
// benchmark): processes and directories are removed by T.Cleanup, and a
// daemon that leaves a shim process behind fails its T.
//
// Paths come from the environment (see LoadPaths): SPINOCI_SHIM,
// SPINOCI_APPS_DIR and SPINOCI_TOOLS_DIR, which the Makefile sets.
package harness
