package shim

import (
	"fmt"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/shim/appdirs"
	"github.com/spinoci/spinoci/shim/appproto"
)

// isSandbox tells whether the spec is a pod's sandbox ("pause") container.
func isSandbox(spec *specs.Spec) bool {
	return appdirs.IsSandbox(spec.Annotations)
}

// namespacePlan says how a task's process is put into the namespaces its
// spec names: a path means join (done by package nsenter in the child,
// before its Go runtime starts), an empty path means a new namespace
// (clone flags), as runc does.
type namespacePlan struct {
	joins      []appproto.NamespaceJoin
	cloneFlags uintptr
	// loopbackUp brings up "lo" in a new network namespace.
	loopbackUp bool
	hostname   string
}

// planNamespaces reads the spec's linux.namespaces.
//
//   - network, ipc, uts: joined or created.
//   - pid: created for a sandbox only, so that a pod's pause process is pid
//     1 of the pod's PID namespace. An app container never joins one:
//     setns(2) on a PID namespace only applies to children, and the app
//     process has none; nor is one created for it (as pid 1 it would ignore
//     signals it has no handler for).
//   - mount, cgroup, user, time: not used. A Spin app reads only the files
//     the shim materialised for it; user namespaces are not supported.
func planNamespaces(spec *specs.Spec, sandbox bool) (namespacePlan, error) {
	var plan namespacePlan
	if spec.Linux == nil {
		return plan, nil
	}
	for _, ns := range spec.Linux.Namespaces {
		var (
			nsType string
			flag   uintptr
		)
		switch ns.Type {
		case specs.NetworkNamespace:
			nsType, flag = "net", syscall.CLONE_NEWNET
		case specs.IPCNamespace:
			nsType, flag = "ipc", syscall.CLONE_NEWIPC
		case specs.UTSNamespace:
			nsType, flag = "uts", syscall.CLONE_NEWUTS
		case specs.PIDNamespace:
			if sandbox && ns.Path == "" {
				plan.cloneFlags |= syscall.CLONE_NEWPID
			}
			continue
		case specs.UserNamespace:
			if ns.Path != "" || len(spec.Linux.UIDMappings) > 0 {
				return plan, fmt.Errorf("user namespaces are not supported by spinoci")
			}
			continue
		default:
			continue
		}
		if ns.Path != "" {
			plan.joins = append(plan.joins, appproto.NamespaceJoin{Type: nsType, Path: ns.Path})
			continue
		}
		plan.cloneFlags |= flag
		switch ns.Type {
		case specs.NetworkNamespace:
			plan.loopbackUp = true
		case specs.UTSNamespace:
			plan.hostname = spec.Hostname
		}
	}
	return plan, nil
}

// env returns the variables that make package nsenter act in the child.
func (p namespacePlan) env() ([]string, error) {
	var env []string
	join, err := appproto.JoinEnv(p.joins)
	if err != nil {
		return nil, err
	}
	if join != "" {
		env = append(env, join)
	}
	if p.loopbackUp {
		env = append(env, appproto.EnvLoopbackUp+"=1")
	}
	return env, nil
}
