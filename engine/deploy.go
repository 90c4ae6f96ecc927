package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spinoci/spinoci/engine/capability/outboundhttp"
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
		if err := checkRetainedChaining(retained, ids); err != nil {
			return nil, fmt.Errorf("%s: %w", ComponentsToRetainEnv, err)
		}
		lk = retained
	}
	if err := lk.CheckTriggerTypes(); err != nil {
		return nil, err
	}
	return lk, nil
}

// checkRetainedChaining refuses, as Spin does, a retained component (one
// with a trigger) whose allowed_outbound_hosts chain to a component that is
// not retained ("http://<id>.spin.internal"), or to any component
// ("http://*.spin.internal"): its requests there would fail at run time.
// Entries holding variables are skipped (they are resolved later).
func checkRetainedChaining(lk *lock.LockedApp, retained []string) error {
	for _, t := range lk.Triggers {
		c, ok := lk.Component(t.Component())
		if !ok {
			continue
		}
		hosts, _, err := c.AllowedOutboundHosts()
		if err != nil {
			return err
		}
		for _, entry := range hosts {
			target := chainingTarget(entry)
			switch {
			case target == "" || slices.Contains(retained, target):
			case target == "*":
				return fmt.Errorf("retained component %q may chain to any component (allowed_outbound_hosts %q): "+
					"name the components it calls instead of a wildcard, and retain them", c.ID, entry)
			default:
				return fmt.Errorf("retained component %q chains to component %q, which is not retained "+
					"(allowed_outbound_hosts %q): retain both, or neither", c.ID, target, entry)
			}
		}
	}
	return nil
}

// chainingTarget is the component an allowed_outbound_hosts (or Spin 1.x
// allowed_http_hosts) entry lets a component chain to: the id, "*" for any,
// or "" when the entry is not a service-chaining host or holds a variable.
func chainingTarget(entry string) string {
	if strings.Contains(entry, "{{") {
		return ""
	}
	host := entry
	if _, rest, ok := strings.Cut(entry, "://"); ok {
		host = rest
	}
	host, _, _ = strings.Cut(host, "/")
	return outboundhttp.ChainedComponent(strings.TrimSpace(host))
}
