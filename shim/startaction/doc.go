// Package startaction is the shim's start action: the process containerd
// runs as "containerd-shim-spinoci-v1 … start" for every container it
// creates. It finds or starts the shim server of the container's group,
// hands it the listening socket and replies with the server's address.
//
// The action runs on every start, before anything else of the container,
// and a process's exec costs in proportion to the code it links and
// initialises. So this package links neither containerd's shim library,
// grpc-go's transport, nor the server: it decodes containerd's
// BootstrapParams field by field with protowire, reads only the
// annotations and the seccomp profile of the bundle's spec, and computes
// the shim socket address the way containerd's shim library does (tests
// hold it to that library). It compiles the seccomp profile into the
// bundle for the server (package seccompbpf), which so links no compiler.
// The server (package shim) runs from rendezvous.ServerBinaryName, next to the shim
// binary.
//
// A container whose start starts a server has its app read here, from
// containerd's content store into its app directory (package appdirs),
// while the server execs and initialises; the server's Create takes it
// from the bundle. The server reading it itself would begin only after its
// own start-up, with containerd's Create already waiting on it. Joining
// containers (a pod's, a group's) are read by their Create, on a server
// already running.
//
// Both kinds of daemon are served: containerd 2.3 and later send protobuf
// BootstrapParams on stdin; containerd 1.7 to 2.2 (k3s up to v1.36) pass
// flags only. The reply is JSON, which both understand. It names task API v3
// only to daemons that sent BootstrapParams: containerd 1.7 refuses any
// version above 2, and 1.7 cannot be told apart from 2.0-2.2 at start, so
// every legacy daemon gets v2 (2.x relays it to the same service).
package startaction
