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
)

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
