// Package nsenter joins Linux namespaces before the Go runtime starts.
//
// A process's namespaces can only be changed reliably while it has a single
// thread, and a Go program has several before main runs. So this package
// carries a C constructor (like runc's nsenter) that runs when the binary
// starts: if EnvCgroupTasksFDs lists descriptors of cgroup v1 "tasks" files,
// it moves itself into those cgroups (one thread moving itself is cheap,
// see nsenter.c) and then closes the descriptor EnvCgroupJoinedFD names, if
// any, which tells the shim it is in them; if EnvJoin is set, it joins each
// namespace listed there; if EnvLoopbackUp is "1", it brings up "lo" (for a
// process created in a new network namespace); then it removes these
// variables from the environment.
// On failure it prints the reason to stderr and, if EnvErrorFD names a
// descriptor, writes it there as a JSON line {"error": "..."}, then exits 1.
//
// Then, if EnvSandboxFD names a descriptor, it reads the sandbox record
// package sandbox encoded there and confines the process (rlimits, hostname,
// a private mount namespace and root, user, capabilities, no_new_privs,
// seccomp): all of these belong to a thread, so they must be set while the
// process has only one.
//
// Last, a process started as a pod's pause process ("<binary> pause
// [--hostname name]", appproto.PauseModeArg) runs as one there, in C
// (pause.c), and never reaches the Go runtime: holding the pod's namespaces
// needs nothing more, and a Go runtime would cost a few MB per pod.
//
// The binary that is re-executed into namespaces refers to Constructor,
// which only a cgo build defines; the environment variables and their
// encoding are in package appproto, so that the shim server, which starts
// such processes, builds without cgo. PID namespaces cannot be joined this
// way (setns on a PID namespace only affects children), nor can mount
// namespaces (the process gets a private one of its own instead); only net,
// ipc and uts are supported.
package nsenter

// #cgo CFLAGS: -Wall
// extern long long spinoci_constructor_began_ns, spinoci_constructor_confined_ns;
import "C"

// Constructor is defined only where the C constructor is linked (cgo): the
// binary that runs children refers to it, so that a build without the
// constructor fails instead of running them unconfined.
const Constructor = true

// ConstructorTimes returns when the constructor began and when it had
// confined the process (cgroup, namespaces, sandbox), in nanoseconds since
// the Unix epoch; 0 for a step it did not reach.
func ConstructorTimes() (began, confined int64) {
	return int64(C.spinoci_constructor_began_ns), int64(C.spinoci_constructor_confined_ns)
}
