package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// AppComponent is one component of an app made of the test apps.
type AppComponent struct {
	ID       string // component id
	Wasm     string // a test app file (AppHello, AppSpinGo, AppWagiGo) or an absolute path
	Executor string // "spin" or "wagi"
	Files    string // optional host directory mounted at "/" in the guest
}

// Route binds an HTTP route (Spin syntax: "/x" exact, "/x/..." wildcard) to
// a component.
type Route struct {
	Route     string
	Component string
}

// AppSpec describes an app made of the test apps.
type AppSpec struct {
	Name       string
	Components []AppComponent
	Routes     []Route
}

// HelloApp is the hello test app alone on "/...".
func HelloApp() AppSpec {
	return AppSpec{
		Name:       "hello",
		Components: []AppComponent{{ID: "hello", Wasm: AppHello, Executor: "spin"}},
		Routes:     []Route{{Route: "/...", Component: "hello"}},
	}
}

// MultiApp is the three test apps in one app, with routes that exercise
// Spin's precedence rules:
//
//	/...       → hello    (everything else)
//	/go/...    → spin-go  (longer wildcard beats "/...")
//	/go/exact  → wagi-go  (exact beats the "/go/..." wildcard)
//	/wagi/...  → wagi-go  (a second trigger for the same component)
//
// filesDir, if not empty, is mounted into hello (the files are pushed as
// layers but not read by the app).
func MultiApp(filesDir string) AppSpec {
	return AppSpec{
		Name: "e2e-multi",
		Components: []AppComponent{
			{ID: "hello", Wasm: AppHello, Executor: "spin", Files: filesDir},
			{ID: "spin-go", Wasm: AppSpinGo, Executor: "spin"},
			{ID: "wagi-go", Wasm: AppWagiGo, Executor: "wagi"},
		},
		Routes: []Route{
			{Route: "/...", Component: "hello"},
			{Route: "/go/...", Component: "spin-go"},
			{Route: "/go/exact", Component: "wagi-go"},
			{Route: "/wagi/...", Component: "wagi-go"},
		},
	}
}

// LocalLock builds the local lock (file:// sources, spin_lock_version 0) of
// spec, with test app files resolved in p.AppsDir.
func (p Paths) LocalLock(spec AppSpec) (*lock.LockedApp, error) {
	raw := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err) // plain maps and strings only
		}
		return b
	}
	app := &lock.LockedApp{
		Metadata: map[string]json.RawMessage{
			"name":    raw(spec.Name),
			"version": raw("0.1.0"),
			"trigger": raw(map[string]string{"type": "http", "base": "/"}),
		},
	}
	executors := map[string]string{}
	for _, c := range spec.Components {
		wasm := c.Wasm
		if !filepath.IsAbs(wasm) {
			wasm = p.App(wasm)
		}
		if _, err := os.Stat(wasm); err != nil {
			return nil, fmt.Errorf("component %s: %w", c.ID, err)
		}
		comp := lock.Component{
			ID:     c.ID,
			Source: lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Source: appdir.FileURI(wasm)}},
		}
		if c.Files != "" {
			comp.Files = []lock.ContentPath{{ContentRef: lock.ContentRef{Source: appdir.FileURI(c.Files)}, Path: "/"}}
		}
		app.Components = append(app.Components, comp)
		executors[c.ID] = c.Executor
	}
	for i, r := range spec.Routes {
		ex, ok := executors[r.Component]
		if !ok {
			return nil, fmt.Errorf("route %s: no component %q", r.Route, r.Component)
		}
		app.Triggers = append(app.Triggers, lock.Trigger{
			ID:          fmt.Sprintf("trigger-%d-%s", i, r.Component),
			TriggerType: "http",
			TriggerConfig: raw(map[string]any{
				"component": r.Component,
				"route":     r.Route,
				"executor":  map[string]string{"type": ex},
			}),
		})
	}
	return app, nil
}

// WriteLock writes app as dir/spin.lock (pretty JSON, as Spin writes it) and
// returns the path.
func WriteLock(dir string, app *lock.LockedApp) (string, error) {
	b, err := json.MarshalIndent(app, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "spin.lock")
	return path, os.WriteFile(path, b, 0o644)
}
