package appproto

import (
	"fmt"
	"strings"
)

// Environment variables read by the app binary's C constructor (package
// nsenter), before its Go runtime starts. Keep in step with nsenter.c.
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
	// EnvCgroupTasksFDs lists descriptors of the "tasks" files of the
	// container's cgroup v1 hierarchies ("5,6,…"), which the process moves
	// itself into first.
	EnvCgroupTasksFDs = "_SPINOCI_CGROUP_TASKS_FDS"
	// EnvCgroupJoinedFD names a descriptor the process closes once it has
	// moved itself into the cgroups of EnvCgroupTasksFDs: the shim reads
	// its pipe's end-of-file as "in the cgroup" (or exited).
	EnvCgroupJoinedFD = "_SPINOCI_CGROUP_JOINED_FD"
	// HeldEnvPrefix renames the container's variables that glibc's loader
	// and malloc read when the binary starts (ChildEnv); the
	// constructor gives them their names back once the process is confined.
	HeldEnvPrefix = "_SPINOCI_HELD_"
)

// ChildEnv returns a container's environment as an exec of the app binary
// gets it. Variables named like those the shim passes to the constructor
// (prefix "_SPINOCI_") are dropped: the container's value of one the shim
// does not set would reach it. The variables glibc acts on at start-up are
// renamed with HeldEnvPrefix: the loader's (LD_PRELOAD, LD_LIBRARY_PATH,
// LD_AUDIT, LD_DEBUG_OUTPUT, …) and malloc's (GLIBC_TUNABLES, MALLOC_*).
// The binary starts as root, before its sandbox is in place: under their
// own names they would load a library the container names (say, a file of
// its own app, at the file store's predictable path) into that process, or
// have the loader write files on the host. The Go program sees them as the
// container set them (its variables may have such names), when glibc no
// longer reads them: the app process runs no other program.
func ChildEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "_SPINOCI_"):
			continue
		case strings.HasPrefix(name, "LD_") || strings.HasPrefix(name, "MALLOC_") || name == "GLIBC_TUNABLES":
			kv = HeldEnvPrefix + kv
		}
		out = append(out, kv)
	}
	return out
}

// NamespaceJoin is one namespace a child process joins.
type NamespaceJoin struct {
	Type string // "net", "ipc" or "uts"
	Path string // e.g. /proc/<pid>/ns/net or /var/run/netns/cni-…
}

// JoinSupported tells whether a namespace type can be joined.
func JoinSupported(nsType string) bool {
	switch nsType {
	case "net", "ipc", "uts":
		return true
	}
	return false
}

// JoinEnv returns the EnvJoin entry for joins, or "" when there is nothing
// to join. Paths may not contain ',' (the separator).
func JoinEnv(joins []NamespaceJoin) (string, error) {
	if len(joins) == 0 {
		return "", nil
	}
	parts := make([]string, 0, len(joins))
	for _, j := range joins {
		if !JoinSupported(j.Type) {
			return "", fmt.Errorf("joining a %q namespace is not supported", j.Type)
		}
		if j.Path == "" || strings.Contains(j.Path, ",") {
			return "", fmt.Errorf("namespace path %q cannot be passed to the child process", j.Path)
		}
		parts = append(parts, j.Type+"="+j.Path)
	}
	return EnvJoin + "=" + strings.Join(parts, ","), nil
}
