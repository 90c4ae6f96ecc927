package manifest

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/spinoci/spinoci/lock"
)

// manifestV2 is a `spin_manifest_version = 2` manifest (Spin 2+).
type manifestV2 struct {
	SpinManifestVersion any                         `toml:"spin_manifest_version"`
	Application         applicationV2               `toml:"application"`
	Variables           map[string]variable         `toml:"variables"`
	Triggers            map[string][]map[string]any `toml:"trigger"`
	Components          map[string]componentV2      `toml:"component"`
}

type applicationV2 struct {
	Name        string                    `toml:"name"`
	Version     string                    `toml:"version"`
	Description string                    `toml:"description"`
	Authors     []string                  `toml:"authors"`
	Targets     []string                  `toml:"targets"`
	Trigger     map[string]map[string]any `toml:"trigger"`
	Tool        map[string]any            `toml:"tool"`
}

type componentV2 struct {
	Description                      string            `toml:"description"`
	Source                           any               `toml:"source"`
	Variables                        map[string]string `toml:"variables"`
	Environment                      map[string]string `toml:"environment"`
	Files                            []any             `toml:"files"`
	ExcludeFiles                     []string          `toml:"exclude_files"`
	AllowedHTTPHosts                 []string          `toml:"allowed_http_hosts"`
	AllowedOutboundHosts             []string          `toml:"allowed_outbound_hosts"`
	KeyValueStores                   []string          `toml:"key_value_stores"`
	SqliteDatabases                  []string          `toml:"sqlite_databases"`
	AIModels                         []string          `toml:"ai_models"`
	Build                            map[string]any    `toml:"build"`
	Tool                             map[string]any    `toml:"tool"`
	Dependencies                     map[string]any    `toml:"dependencies"`
	DependenciesInheritConfiguration bool              `toml:"dependencies_inherit_configuration"`
}

// loadV2 builds the lock Spin 2+ writes for a v2 manifest: metadata
// name/version/description/authors, triggers ({"http": …} when
// [application.trigger.http] is given) and trigger ({"type": …} when the app
// has one trigger type), triggers with their id (or "<component>-<type>-trigger"),
// and component metadata allowed_outbound_hosts, key_value_stores,
// databases and ai_models.
func (l *loader) loadV2(ctx context.Context, data []byte) (*lock.LockedApp, error) {
	var m manifestV2
	if err := l.decodeStrict(data, &m); err != nil {
		return nil, err
	}
	a := m.Application
	if a.Name == "" {
		return nil, l.errAt("application.name", "missing: the application needs a name")
	}
	app := l.newLockedApp(a.Name, a.Version, a.Description, a.Authors)
	if len(a.Trigger) > 0 {
		if http, ok := a.Trigger[lock.TriggerTypeHTTP]; ok {
			if _, ok := http["base"]; ok {
				return nil, l.errAt("application.trigger.http.base", "manifest version 2 has no base path: put the prefix in each [[trigger.http]] route")
			}
		}
		app.Metadata["triggers"] = rawJSON(a.Trigger)
	}
	if len(m.Triggers) == 1 {
		for typ := range m.Triggers {
			app.Metadata["trigger"] = rawJSON(map[string]string{"type": typ})
		}
	}
	vars, err := l.variables(m.Variables)
	if err != nil {
		return nil, err
	}
	app.Variables = vars

	for _, id := range slices.Sorted(maps.Keys(m.Components)) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !validID(id) {
			return nil, l.errAt("component."+id, "invalid component id %q: use letters, digits, '-' and '_'", id)
		}
		c := m.Components[id]
		comp, err := l.componentV2("component."+id, id, &c)
		if err != nil {
			return nil, err
		}
		app.Components = append(app.Components, *comp)
	}
	if len(m.Triggers) == 0 {
		return nil, l.errAt("trigger", "the application has no triggers: add a [[trigger.http]] with a route and a component")
	}
	ids := map[string]bool{}
	inline := 0
	for _, typ := range slices.Sorted(maps.Keys(m.Triggers)) {
		for i, t := range m.Triggers[typ] {
			key := "trigger." + typ + "." + strconv.Itoa(i)
			tr, comp, err := l.triggerV2(key, typ, t, m.Components, &inline)
			if err != nil {
				return nil, err
			}
			if comp != nil {
				app.Components = append(app.Components, *comp)
			}
			if ids[tr.ID] {
				if _, explicit := t["id"]; explicit {
					return nil, l.errAt(key+".id", "trigger id %q is used twice", tr.ID)
				}
				base := tr.ID
				for n := 2; ids[tr.ID]; n++ {
					tr.ID = base + "-" + strconv.Itoa(n)
				}
			}
			ids[tr.ID] = true
			app.Triggers = append(app.Triggers, tr)
		}
	}
	return app, nil
}

func (l *loader) componentV2(key, id string, c *componentV2) (*lock.Component, error) {
	if len(c.Dependencies) > 0 {
		return nil, l.errAt(key+".dependencies", "component dependencies are not supported by spinoci")
	}
	hosts := c.AllowedOutboundHosts
	if len(c.AllowedHTTPHosts) > 0 {
		hosts = append(append([]string{}, hosts...), convertHTTPHosts(c.AllowedHTTPHosts, c.AllowedOutboundHosts == nil)...)
	}
	meta := map[string]json.RawMessage{
		"allowed_outbound_hosts": rawJSON(stringList(hosts)),
		"key_value_stores":       rawJSON(stringList(c.KeyValueStores)),
		"databases":              rawJSON(stringList(c.SqliteDatabases)),
		"ai_models":              rawJSON(stringList(c.AIModels)),
	}
	return l.component(key, id, componentFields{
		description:  c.Description,
		source:       c.Source,
		env:          c.Environment,
		files:        c.Files,
		excludeFiles: c.ExcludeFiles,
		configKey:    "variables",
		config:       c.Variables,
	}, meta)
}

// convertHTTPHosts turns deprecated allowed_http_hosts into
// allowed_outbound_hosts entries as Spin 2 does.
func convertHTTPHosts(hosts []string, addDefaults bool) []string {
	var out []string
	for _, h := range hosts {
		switch {
		case h == "insecure:allow-all":
			out = append(out, "http://*:*", "https://*:*", "http://self")
		case strings.HasPrefix(h, "http://") || strings.HasPrefix(h, "https://"):
			out = append(out, strings.TrimSuffix(h, "/"))
		default:
			out = append(out, "http://"+h, "https://"+h)
		}
	}
	if addDefaults {
		out = append(out, "redis://*:*", "mysql://*:*", "postgres://*:*")
	}
	return out
}

// triggerV2 converts one [[trigger.<type>]] entry. An inline component
// (component = { source = … }) is returned too, with the id
// "<trigger id>-component" or "inline-component-<n>".
func (l *loader) triggerV2(key, typ string, t map[string]any, comps map[string]componentV2, inline *int) (lock.Trigger, *lock.Component, error) {
	allowed := map[string]bool{"id": true, "component": true}
	switch typ {
	case lock.TriggerTypeHTTP:
		allowed["route"], allowed["executor"], allowed["static_response"] = true, true, true
	case lock.TriggerTypeRedis:
		allowed["channel"], allowed["address"] = true, true
	case lock.TriggerTypeMQTT:
		allowed["topic"], allowed["qos"] = true, true
	}
	for _, k := range slices.Sorted(maps.Keys(t)) {
		if !allowed[k] {
			return lock.Trigger{}, nil, l.errAt(key+"."+k, "unknown key in a %s trigger", typ)
		}
	}
	id, _ := t["id"].(string)
	var compID string
	var inlined *lock.Component
	switch c := t["component"].(type) {
	case string:
		if _, ok := comps[c]; !ok {
			return lock.Trigger{}, nil, l.errAt(key+".component", "no [component.%s] in the manifest", c)
		}
		compID = c
	case map[string]any:
		*inline++
		compID = "inline-component-" + strconv.Itoa(*inline)
		if id != "" {
			compID = id + "-component"
		}
		var ic componentV2
		b, err := toml.Marshal(c)
		if err == nil {
			err = l.decodeStrict(b, &ic)
		}
		if err != nil {
			return lock.Trigger{}, nil, l.errAt(key+".component", "inline component: %v", err)
		}
		if inlined, err = l.componentV2(key+".component", compID, &ic); err != nil {
			return lock.Trigger{}, nil, err
		}
	case nil:
		if _, ok := t["static_response"]; !ok {
			return lock.Trigger{}, nil, l.errAt(key+".component", "missing: name the component this trigger runs")
		}
	default:
		return lock.Trigger{}, nil, l.errAt(key+".component", "must be a component id or an inline component table")
	}
	switch {
	case id != "":
	case compID != "":
		id = compID + "-" + typ + "-trigger"
	default:
		id = typ + "-trigger-" + key[strings.LastIndexByte(key, '.')+1:]
	}
	cfg := map[string]any{}
	if compID != "" {
		cfg["component"] = compID
	}
	switch typ {
	case lock.TriggerTypeHTTP:
		switch r := t["route"].(type) {
		case string:
			if err := l.checkRoute(key+".route", r); err != nil {
				return lock.Trigger{}, nil, err
			}
			cfg["route"] = r
		case map[string]any:
			if p, ok := r["private"].(bool); !ok || !p || len(r) != 1 {
				return lock.Trigger{}, nil, l.errAt(key+".route", "want a route string or { private = true }")
			}
			cfg["route"] = map[string]bool{"private": true}
		default:
			return lock.Trigger{}, nil, l.errAt(key+".route", "missing: give the HTTP route, e.g. \"/...\"")
		}
		var exm map[string]any
		if ex, ok := t["executor"]; ok {
			if exm, ok = ex.(map[string]any); !ok {
				return lock.Trigger{}, nil, l.errAt(key+".executor", "must be a table, e.g. { type = \"wagi\" }")
			}
		}
		ex, err := l.executor(key+".executor", exm, true)
		if err != nil {
			return lock.Trigger{}, nil, err
		}
		cfg["executor"] = ex
		if sr, ok := t["static_response"]; ok {
			cfg["static_response"] = sr
		}
	default:
		for k, v := range t {
			if k != "id" && k != "component" {
				cfg[k] = v
			}
		}
	}
	return lock.Trigger{ID: id, TriggerType: typ, TriggerConfig: rawJSON(cfg)}, inlined, nil
}
