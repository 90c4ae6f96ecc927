package lock

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// SupportedTriggerTypes returns the trigger types spinoci runs. It is the
// one list to extend when a trigger is added: apps using another type fail
// to start (CheckTriggerTypes) and the CLI warns about them.
func SupportedTriggerTypes() []string {
	return []string{TriggerTypeHTTP, TriggerTypeRedis, TriggerTypeMQTT, TriggerTypeCommand}
}

// IsSupportedTriggerType reports whether spinoci runs triggers of type typ.
func IsSupportedTriggerType(typ string) bool { return slices.Contains(SupportedTriggerTypes(), typ) }

// Component is the id of the component the trigger runs (its
// trigger_config's "component"), or "" if it names none.
func (t Trigger) Component() string {
	var cfg struct {
		Component string `json:"component"`
	}
	_ = json.Unmarshal(t.TriggerConfig, &cfg)
	return cfg.Component
}

// UnsupportedTriggers returns the app's triggers whose type spinoci does
// not run, in lock order.
func (a *LockedApp) UnsupportedTriggers() []Trigger {
	var out []Trigger
	for _, t := range a.Triggers {
		if !IsSupportedTriggerType(t.TriggerType) {
			out = append(out, t)
		}
	}
	return out
}

// CheckTriggerTypes fails naming the trigger types of the app spinoci
// does not run, and the types it does.
func (a *LockedApp) CheckTriggerTypes() error {
	var types []string
	for _, t := range a.UnsupportedTriggers() {
		if q := fmt.Sprintf("%q", t.TriggerType); !slices.Contains(types, q) {
			types = append(types, q)
		}
	}
	if len(types) == 0 {
		return nil
	}
	return fmt.Errorf("trigger type %s is %w (supported trigger types: %s)",
		strings.Join(types, ", "), ErrUnsupported, strings.Join(SupportedTriggerTypes(), ", "))
}

// RetainComponents returns a copy of the app keeping only the named
// components and the triggers that run them, as Spin's selective
// deployment does. Naming a component the app lacks is an error naming it.
func (a *LockedApp) RetainComponents(ids []string) (*LockedApp, error) {
	var missing []string
	for _, id := range ids {
		if _, ok := a.Component(id); !ok {
			missing = append(missing, fmt.Sprintf("%q", id))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("components to retain not found in the application: %s", strings.Join(missing, ", "))
	}
	out := *a
	out.Triggers, out.Components = nil, nil
	for _, t := range a.Triggers {
		if slices.Contains(ids, t.Component()) {
			out.Triggers = append(out.Triggers, t)
		}
	}
	for _, c := range a.Components {
		if slices.Contains(ids, c.ID) {
			out.Components = append(out.Components, c)
		}
	}
	return &out, nil
}
