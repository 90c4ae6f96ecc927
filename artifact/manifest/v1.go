package manifest

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/spinoci/spinoci/lock"
)

// manifestV1 is a `spin_manifest_version = "1"` manifest (Spin 1.x).
type manifestV1 struct {
	SpinManifestVersion any                 `toml:"spin_manifest_version"`
	SpinVersion         any                 `toml:"spin_version"`
	Name                string              `toml:"name"`
	Version             string              `toml:"version"`
	Description         string              `toml:"description"`
	Authors             []string            `toml:"authors"`
	Namespace           string              `toml:"namespace"`
	Trigger             *appTriggerV1       `toml:"trigger"`
	Variables           map[string]variable `toml:"variables"`
	Components          []componentV1       `toml:"component"`
}

type appTriggerV1 struct {
	Type    string `toml:"type"`
	Base    string `toml:"base"`
	Address string `toml:"address"` // redis
}

type componentV1 struct {
	ID               string            `toml:"id"`
	Description      string            `toml:"description"`
	Source           any               `toml:"source"`
	Environment      map[string]string `toml:"environment"`
	Files            []any             `toml:"files"`
	ExcludeFiles     []string          `toml:"exclude_files"`
	AllowedHTTPHosts []string          `toml:"allowed_http_hosts"`
	KeyValueStores   []string          `toml:"key_value_stores"`
	SqliteDatabases  []string          `toml:"sqlite_databases"`
	AIModels         []string          `toml:"ai_models"`
	Trigger          *triggerV1        `toml:"trigger"`
	Config           map[string]string `toml:"config"`
	Build            map[string]any    `toml:"build"`
}

type triggerV1 struct {
	Route    string         `toml:"route"`
	Executor map[string]any `toml:"executor"`
	Channel  string         `toml:"channel"` // redis
}

// loadV1 builds the lock Spin 1.x writes (spin_lock_version 0): metadata
// name/version/description/trigger/origin, one trigger "trigger--<id>" per
// component whose config carries component, route and executor (null when
// unset), and component metadata allowed_http_hosts and key_value_stores.
func (l *loader) loadV1(ctx context.Context, data []byte) (*lock.LockedApp, error) {
	var m manifestV1
	if err := l.decodeStrict(data, &m); err != nil {
		return nil, err
	}
	if m.Name == "" {
		return nil, l.errAt("name", "missing: the application needs a name")
	}
	if m.Trigger == nil || m.Trigger.Type == "" {
		return nil, l.errAt("trigger", "missing: add trigger = { type = \"http\", base = \"/\" }")
	}
	trig := map[string]string{"type": m.Trigger.Type}
	switch m.Trigger.Type {
	case lock.TriggerTypeHTTP:
		if m.Trigger.Address != "" {
			return nil, l.errAt("trigger.address", "an http trigger has no address")
		}
		trig["base"] = m.Trigger.Base
		if trig["base"] == "" {
			trig["base"] = "/"
		}
	case "redis":
		if m.Trigger.Base != "" {
			return nil, l.errAt("trigger.base", "a redis trigger has no base")
		}
		trig["address"] = m.Trigger.Address
	default:
		return nil, l.errAt("trigger.type", "unknown trigger type %q: want \"http\" or \"redis\"", m.Trigger.Type)
	}
	app := l.newLockedApp(m.Name, m.Version, m.Description, m.Authors)
	app.Metadata["trigger"] = rawJSON(trig)
	vars, err := l.variables(m.Variables)
	if err != nil {
		return nil, err
	}
	app.Variables = vars
	if len(m.Components) == 0 {
		return nil, l.errAt("component", "the application has no [[component]]")
	}
	seen := map[string]bool{}
	for i := range m.Components {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c := &m.Components[i]
		key := "component." + strconv.Itoa(i)
		if !validID(c.ID) {
			return nil, l.errAt(key+".id", "invalid or missing component id %q: use letters, digits, '-' and '_'", c.ID)
		}
		if seen[c.ID] {
			return nil, l.errAt(key+".id", "component id %q is used twice", c.ID)
		}
		seen[c.ID] = true
		comp, err := l.componentV1(key, c)
		if err != nil {
			return nil, err
		}
		app.Components = append(app.Components, *comp)
		tc, err := l.triggerConfigV1(key, m.Trigger.Type, c)
		if err != nil {
			return nil, err
		}
		app.Triggers = append(app.Triggers, lock.Trigger{
			ID:            "trigger--" + c.ID,
			TriggerType:   m.Trigger.Type,
			TriggerConfig: rawJSON(tc),
		})
	}
	return app, nil
}

func (l *loader) componentV1(key string, c *componentV1) (*lock.Component, error) {
	meta := map[string]json.RawMessage{
		"allowed_http_hosts": rawJSON(stringList(c.AllowedHTTPHosts)),
		"key_value_stores":   rawJSON(stringList(c.KeyValueStores)),
	}
	if len(c.SqliteDatabases) > 0 {
		meta["databases"] = rawJSON(c.SqliteDatabases)
	}
	if len(c.AIModels) > 0 {
		meta["ai_models"] = rawJSON(c.AIModels)
	}
	return l.component(key, c.ID, componentFields{
		description:  c.Description,
		source:       c.Source,
		env:          c.Environment,
		files:        c.Files,
		excludeFiles: c.ExcludeFiles,
		configKey:    "config",
		config:       c.Config,
	}, meta)
}

func (l *loader) triggerConfigV1(key, triggerType string, c *componentV1) (map[string]any, error) {
	tkey := key + ".trigger"
	if c.Trigger == nil {
		return nil, l.errAt(tkey, "missing: add [component.trigger] with a route")
	}
	switch triggerType {
	case lock.TriggerTypeHTTP:
		if c.Trigger.Channel != "" {
			return nil, l.errAt(tkey+".channel", "an http component has no channel")
		}
		if err := l.checkRoute(tkey+".route", c.Trigger.Route); err != nil {
			return nil, err
		}
		ex, err := l.executor(tkey+".executor", c.Trigger.Executor, false)
		if err != nil {
			return nil, err
		}
		return map[string]any{"component": c.ID, "route": c.Trigger.Route, "executor": ex}, nil
	default: // redis
		if c.Trigger.Route != "" || c.Trigger.Executor != nil {
			return nil, l.errAt(tkey, "a redis component has a channel, not a route or executor")
		}
		if c.Trigger.Channel == "" {
			return nil, l.errAt(tkey+".channel", "missing: give the redis channel")
		}
		return map[string]any{"component": c.ID, "channel": c.Trigger.Channel}, nil
	}
}
