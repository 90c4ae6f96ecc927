// Package nsenter joins Linux namespaces before the Go runtime starts.
//
// A process's namespaces can only be changed reliably while it has a single
// thread, and a Go program has several before main runs. So this package
// carries a C constructor (like runc's nsenter) that runs when the binary
// starts: if EnvJoin is set, it joins each namespace listed there; if
// EnvLoopbackUp is "1", it brings up "lo" (for a process created in a new
// network namespace); then it removes these variables from the environment.
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
// Import it (for its constants or blank) from the binary that is re-executed
// into namespaces. PID namespaces cannot be joined this way (setns on a PID
// namespace only affects children), nor can mount namespaces (the process
// gets a private one of its own instead); only net, ipc and uts are
// supported.
package nsenter

// #cgo CFLAGS: -Wall
import "C"

import (
	"fmt"
	"strings"
)

// Environment variables read by the constructor. Keep in step with nsenter.c.
const (
	// EnvJoin lists the namespaces to join: "net=/proc/1/ns/net,ipc=…".
	EnvJoin = "_SPINOCI_NSENTER"
	// EnvLoopbackUp set to "1" brings up the loopback interface.
	EnvLoopbackUp = "_SPINOCI_LOOPBACK_UP"
	// EnvErrorFD names the descriptor on which a failure is reported as a
	// JSON status line.
	EnvErrorFD = "_SPINOCI_NSENTER_ERRFD"
	// EnvSandboxFD names the descriptor holding a sandbox record.
	EnvSandboxFD = "_SPINOCI_SANDBOX_FD"
)

// Join is one namespace to join.
type Join struct {
	Type string // "net", "ipc" or "uts"
	Path string // e.g. /proc/<pid>/ns/net or /var/run/netns/cni-…
}

// Supported tells whether a namespace type can be joined.
func Supported(nsType string) bool {
	switch nsType {
	case "net", "ipc", "uts":
		return true
	}
	return false
}

// Env returns the EnvJoin entry for joins, or "" when there is nothing to
// join. Paths may not contain ',' (the separator).
func Env(joins []Join) (string, error) {
	if len(joins) == 0 {
		return "", nil
	}
	parts := make([]string, 0, len(joins))
	for _, j := range joins {
		if !Supported(j.Type) {
			return "", fmt.Errorf("joining a %q namespace is not supported", j.Type)
		}
		if j.Path == "" || strings.Contains(j.Path, ",") {
			return "", fmt.Errorf("namespace path %q cannot be passed to the child process", j.Path)
		}
		parts = append(parts, j.Type+"="+j.Path)
	}
	return EnvJoin + "=" + strings.Join(parts, ","), nil
}
