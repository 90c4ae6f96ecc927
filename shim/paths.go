package shim

import (
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/shim/appdirs"
)

// RuntimeName is the containerd runtime type this shim implements.
const RuntimeName = appdirs.RuntimeName

// appStateMount is the container path at which a volume keeps an app's
// state (key-value stores) across container restarts, like the Spin shim's
// ".spin" directory in the container root.
const appStateMount = "/.spin"

// appStateDir is where an app keeps its state: the host side of a volume
// mounted at appStateMount, else a directory inside the app directory that
// lives as long as the container.
func appStateDir(spec *specs.Spec, appDir string) string {
	for _, m := range spec.Mounts {
		if filepath.Clean(m.Destination) == appStateMount && m.Source != "" && isBindMount(m) {
			return m.Source
		}
	}
	return filepath.Join(appDir, "state")
}

func isBindMount(m specs.Mount) bool {
	if m.Type == "bind" {
		return true
	}
	for _, o := range m.Options {
		if o == "bind" || o == "rbind" {
			return true
		}
	}
	return false
}

// exitFile records a task's exit status in its bundle so that the delete
// action, which runs in a new process, can report it.
func exitFile(bundle string) string {
	return filepath.Join(bundle, "spinoci-exit.json")
}
