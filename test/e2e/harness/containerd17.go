package harness

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Containerd17 is the pinned containerd 1.7 release: task API v2, the
// pre-bootstrap start protocol and configuration version 2.
const Containerd17 = "1.7.35"

// UsesConfigVersion2 tells whether a containerd version reads configuration
// version 2 (containerd 1.x) rather than 3.
func UsesConfigVersion2(version string) bool { return strings.HasPrefix(version, "1.") }

// criSectionsV2 are the CRI settings of criConfig in config version 2:
// 1.7 has one CNI bin_dir, the sandbox image and the snapshotter in the
// CRI plugin's own section.
func (d *Containerd) criSectionsV2(confDir string, binDirs []string) string {
	return fmt.Sprintf(`
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = %q
  conf_dir = %q

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "native"

# Configuring any runtime replaces 1.7's default table, and the CRI plugin
# refuses to load without its default runtime.
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.%s]
  runtime_type = %q
  runtime_path = %q
  pod_annotations = [%q]

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.%s]
  runtime_type = %q
  runtime_path = %q
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.%s.options]
    Group = %q
`, d.opts.CRI.SandboxImage, binDirs[0], confDir, RuntimeHandler, RuntimeType,
		filepath.Join(d.Dir, "bin", ShimBinary), GroupAnnotation,
		SharedRuntimeHandler, RuntimeType, filepath.Join(d.Dir, "bin", ShimBinary), SharedRuntimeHandler, SharedRuntimeGroup)
}
