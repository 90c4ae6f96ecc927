package engine

import (
	"fmt"
	"strings"

	"github.com/spinoci/spinoci/lock"
)

// ComponentsToRetainEnv is the container environment variable that runs
// only some of the app's components (comma-separated ids) and their
// triggers: Spin's selective deployment, under the name the Rust shim
// reads.
const ComponentsToRetainEnv = "SPIN_COMPONENTS_TO_RETAIN"

// componentsToRetain reads ComponentsToRetainEnv from the container
// environment; nil when it is unset or empty.
func componentsToRetain(env []string) []string {
	var ids []string
	for i := len(env) - 1; i >= 0; i-- {
		v, ok := strings.CutPrefix(env[i], ComponentsToRetainEnv+"=")
		if !ok {
			continue
		}
		for id := range strings.SplitSeq(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
		break
	}
	return ids
}

// deployedApp is the part of the app this container runs: the components
// ComponentsToRetainEnv names (all without it) and their triggers, whose
// types must all be supported.
func deployedApp(lk *lock.LockedApp, env []string) (*lock.LockedApp, error) {
	if ids := componentsToRetain(env); ids != nil {
		retained, err := lk.RetainComponents(ids)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ComponentsToRetainEnv, err)
		}
		lk = retained
	}
	if err := lk.CheckTriggerTypes(); err != nil {
		return nil, err
	}
	return lk, nil
}
