// Package sandbox turns a container's OCI spec into the confinement of the
// process that runs it (an app or a pod's pause process): its user and
// groups, capabilities, no_new_privs, seccomp filter, rlimits and a private
// root holding only the mounts the shim lists.
//
// The result is a Config, encoded into a binary record that package nsenter's
// C constructor applies in the child before the Go runtime starts (so that
// every thread is confined). Capability names are resolved with
// github.com/moby/sys/capability (runc's); the seccomp filter comes
// compiled (package seccompbpf).
package sandbox
