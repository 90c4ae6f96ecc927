package shim

import (
	"fmt"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	"github.com/containerd/typeurl/v2"
	"google.golang.org/protobuf/types/known/anypb"
)

// cgroupMetrics reads the metrics of the cgroup pid lives in, in the cgroup
// v1 or v2 types that CRI and `ctr task metrics` decode.
func cgroupMetrics(pid int) (*anypb.Any, error) {
	var metrics any
	if cgroups.Mode() == cgroups.Unified {
		path, err := cgroup2.PidGroupPath(pid)
		if err != nil {
			return nil, fmt.Errorf("finding cgroup of pid %d: %w", pid, err)
		}
		manager, err := cgroup2.Load(path)
		if err != nil {
			return nil, fmt.Errorf("loading cgroup %s: %w", path, err)
		}
		if metrics, err = manager.Stat(); err != nil {
			return nil, fmt.Errorf("reading cgroup %s: %w", path, err)
		}
	} else {
		cg, err := cgroup1.Load(cgroup1.PidPath(pid))
		if err != nil {
			return nil, fmt.Errorf("loading cgroup of pid %d: %w", pid, err)
		}
		if metrics, err = cg.Stat(cgroup1.IgnoreNotExist); err != nil {
			return nil, fmt.Errorf("reading cgroup of pid %d: %w", pid, err)
		}
	}
	data, err := typeurl.MarshalAny(metrics)
	if err != nil {
		return nil, err
	}
	return typeurl.MarshalProto(data), nil
}
