package shim

import (
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runtimeConfigMount is where a container's Spin runtime config is, as
// the Spin containerd shim reads it.
const runtimeConfigMount = "/runtime-config.toml"

// runtimeConfigPath returns the host path of the container's
// runtimeConfigMount: the source of a bind mount there, which is the file
// itself (a host file, or a Kubernetes Secret key mounted with subPath),
// or a directory holding a runtime-config.toml (a whole Secret volume
// mounted there). "" when there is none.
func runtimeConfigPath(spec *specs.Spec) string {
	for _, m := range spec.Mounts {
		if filepath.Clean(m.Destination) != runtimeConfigMount || m.Source == "" || !isBindMount(m) {
			continue
		}
		if fi, err := os.Stat(m.Source); err == nil && fi.IsDir() {
			return filepath.Join(m.Source, filepath.Base(runtimeConfigMount))
		}
		return m.Source
	}
	return ""
}
