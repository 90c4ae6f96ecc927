package appdir

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/lock"
)

// App is an application whose every component is on local disk: its lock,
// and for each component the absolute path of its wasm and the host files
// and directories it mounts. Only this package builds an App (Materialize,
// Open, FromLocal), so holding one means those paths were resolved from
// file:// URIs.
type App struct {
	lock       *lock.LockedApp
	dir        string
	components []Component // in lock order
}

// Component is one component of an App.
type Component struct {
	// Lock is the component's entry in the App's lock.
	Lock *lock.Component
	// WasmPath is the absolute path of the component's wasm.
	WasmPath string
	// Mounts are the component's files entries, in lock order.
	Mounts []Mount
	// WasmDigest is the sha256 digest of the wasm at WasmPath when the App
	// is an application directory built by Materialize, which checked the
	// bytes against it (so a start can name its compiled code without
	// reading and hashing the wasm); "" otherwise.
	WasmDigest digest.Digest
}

// Lock returns the App's local lock. The App refers to it rather than
// copying it; component sources and files must not be changed, as the
// App's paths were resolved from them.
func (a *App) Lock() *lock.LockedApp { return a.lock }

// Dir returns the absolute application directory the App was materialised
// into or opened from, or "" for an App built by FromLocal.
func (a *App) Dir() string { return a.dir }

// Components returns the App's components in lock order.
func (a *App) Components() []Component {
	out := make([]Component, len(a.components))
	copy(out, a.components)
	return out
}

// Component returns the component with the given id.
func (a *App) Component(id string) (Component, bool) {
	for _, c := range a.components {
		if c.Lock.ID == id {
			return c, true
		}
	}
	return Component{}, false
}

// FromLocal describes a local lock, such as one written by hand, by
// `spin build` or by Materialize: it is validated, and every component's
// source and files entries must be absolute file:// URIs (the error
// otherwise wraps ErrNotMaterialized or names the bad URI). Files are not
// opened.
func FromLocal(app *lock.LockedApp) (*App, error) {
	if err := app.Validate(); err != nil {
		return nil, err
	}
	return fromLocal(app, "")
}

func fromLocal(app *lock.LockedApp, dir string) (*App, error) {
	out := &App{lock: app, dir: dir, components: make([]Component, 0, len(app.Components))}
	for i := range app.Components {
		c := &app.Components[i]
		wasm, err := WasmPath(c)
		if err != nil {
			return nil, err
		}
		mounts, err := Mounts(c)
		if err != nil {
			return nil, err
		}
		out.components = append(out.components, Component{Lock: c, WasmPath: wasm, Mounts: mounts, WasmDigest: materializedDigest(c, dir)})
	}
	return out, nil
}

// materializedDigest is the digest Materialize recorded for c's wasm in
// the application directory dir (see Component.WasmDigest).
func materializedDigest(c *lock.Component, dir string) digest.Digest {
	if dir == "" {
		return ""
	}
	d, err := digest.Parse(c.Source.Digest)
	if err != nil || d.Algorithm() != digest.SHA256 {
		return ""
	}
	return d
}

// Open describes the application directory dir built by Materialize, from
// its dir/spin.lock.
func Open(dir string) (*App, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("lock: open app directory: %w", err)
	}
	app, err := ReadLock(filepath.Join(abs, LockFileName))
	if err != nil {
		return nil, err
	}
	return fromLocal(app, abs)
}

// ReadLock reads and parses (so validates) the lock file at path.
func ReadLock(path string) (*lock.LockedApp, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	app, err := lock.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return app, nil
}
