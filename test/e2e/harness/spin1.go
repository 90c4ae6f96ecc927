package harness

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// AppSpinHost is the host-import test app (test/apps/spin-host): key-value,
// spin-config, outbound HTTP, files and environment.
const AppSpinHost = "spin-host.wasm"

// ConformanceOptions parameterises ConformanceApp.
type ConformanceOptions struct {
	// HostFiles is mounted at "/" in the "host" component, AssetFiles in
	// the "assets" component.
	HostFiles, AssetFiles string
	// OutboundHost ("127.0.0.1:port") is the only destination the "host"
	// component may reach (allowed_outbound_hosts, Spin 2+ lock); "assets"
	// has allowed_http_hosts (Spin 1.x) ["self"].
	OutboundHost string
}

// ConformanceApp is the multi-component Spin 1.x app of the conformance
// suite, as a local lock (spin_lock_version 0):
//
//	/...         → hello    (WAT, Spin executor)
//	/go/...      → spin-go  (Go, Spin executor)
//	/wagi/...    → wagi-go  (Go, WAGI executor, argv "${SCRIPT_NAME} ${ARGS}")
//	/host/...    → host     (spin-host: files at /, key_value_stores ["default"],
//	                         config greeting = "Hello, {{ who }}!", api_key = "{{ api_key }}",
//	                         environment SPINOCI_COMPONENT=host)
//	/assets/...  → assets   (spin-host again: other files, no key-value store)
//
// Variables: who (default "nobody"), api_key (required, secret).
func (p Paths) ConformanceApp(opts ConformanceOptions) (*lock.LockedApp, error) {
	raw := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err) // plain maps, slices and strings only
		}
		return b
	}
	source := func(name string) (lock.ComponentSource, error) {
		path := p.App(name)
		if _, err := os.Stat(path); err != nil {
			return lock.ComponentSource{}, fmt.Errorf("test app %s: %w (run `make testapps`)", name, err)
		}
		return lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Source: appdir.FileURI(path)}}, nil
	}
	files := func(dir string) []lock.ContentPath {
		return []lock.ContentPath{{ContentRef: lock.ContentRef{Source: appdir.FileURI(dir)}, Path: "/"}}
	}
	who := "nobody"
	app := &lock.LockedApp{
		Metadata: map[string]json.RawMessage{
			"name":    raw("spin1-conformance"),
			"version": raw("1.0.0"),
			"trigger": raw(map[string]string{"type": "http", "base": "/"}),
		},
		Variables: map[string]lock.Variable{
			"who":     {Default: &who},
			"api_key": {Secret: true},
		},
	}
	comps := []struct {
		id, wasm string
		edit     func(c *lock.Component)
	}{
		{"hello", AppHello, nil},
		{"spin-go", AppSpinGo, nil},
		{"wagi-go", AppWagiGo, nil},
		{"host", AppSpinHost, func(c *lock.Component) {
			c.Files = files(opts.HostFiles)
			c.Env = map[string]string{"SPINOCI_COMPONENT": "host"}
			c.Config = map[string]string{"greeting": "Hello, {{ who }}!", "api_key": "{{ api_key }}"}
			c.Metadata = map[string]json.RawMessage{
				"key_value_stores":       raw([]string{"default"}),
				"allowed_outbound_hosts": raw([]string{"http://" + opts.OutboundHost}),
			}
		}},
		{"assets", AppSpinHost, func(c *lock.Component) {
			c.Files = files(opts.AssetFiles)
			c.Metadata = map[string]json.RawMessage{"allowed_http_hosts": raw([]string{"self"})}
		}},
	}
	for _, c := range comps {
		src, err := source(c.wasm)
		if err != nil {
			return nil, err
		}
		comp := lock.Component{ID: c.id, Source: src}
		if c.edit != nil {
			c.edit(&comp)
		}
		app.Components = append(app.Components, comp)
	}
	routes := []struct {
		route, component string
		executor         any
	}{
		{"/...", "hello", nil},
		{"/go/...", "spin-go", map[string]string{"type": "spin"}},
		{"/wagi/...", "wagi-go", map[string]string{"type": "wagi", "entrypoint": "_start", "argv": "${SCRIPT_NAME} ${ARGS}"}},
		{"/host/...", "host", map[string]string{"type": "http"}},
		{"/assets/...", "assets", nil},
	}
	for _, r := range routes {
		app.Triggers = append(app.Triggers, lock.Trigger{
			ID:            "trigger--" + r.component,
			TriggerType:   "http",
			TriggerConfig: raw(map[string]any{"component": r.component, "route": r.route, "executor": r.executor}),
		})
	}
	return app, nil
}
