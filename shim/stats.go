package shim

import "google.golang.org/protobuf/types/known/anypb"

// cgroupMetrics reads the metrics of the cgroup pid lives in, in the cgroup
// v1 or v2 types that CRI and `ctr task metrics` decode.
func cgroupMetrics(pid int) (*anypb.Any, error) {
	c, err := pidCgroup(pid)
	if err != nil {
		return nil, err
	}
	return c.metrics()
}
