package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/spinoci/spinoci/engine/runtimeconfig"
)

// Databases are an App's SQLite databases by label. It is not safe for
// concurrent use; the Access values it returns are.
type Databases struct {
	stateDir string
	// files holds the labels the runtime config declares: their file, ""
	// for in memory.
	files map[string]string
	open  map[string]*Database
}

// NewDatabases returns an App's databases: "default" is DefaultFileName
// in stateDir, or in memory when stateDir is "".
func NewDatabases(stateDir string) *Databases {
	d := &Databases{stateDir: stateDir, files: map[string]string{}, open: map[string]*Database{}}
	d.files[DefaultLabel] = d.stateFile(DefaultFileName)
	return d
}

func (d *Databases) stateFile(name string) string {
	if d.stateDir == "" {
		return ""
	}
	return filepath.Join(d.stateDir, name)
}

// Defined reports whether label has a database (default or declared by
// the runtime config).
func (d *Databases) Defined(label string) bool {
	_, ok := d.files[label]
	return ok
}

// RuntimeConfigSection parses [sqlite_database.<label>] sections: type
// "spin" with an optional path (relative to the runtime config file; when
// absent, the database is in memory, as in Spin).
func (d *Databases) RuntimeConfigSection() runtimeconfig.Section {
	return runtimeconfig.Section{Name: "sqlite_database", Parse: func(raw any, f *runtimeconfig.File) error {
		return runtimeconfig.Tables(raw, func(label string, table any) error {
			if _, err := runtimeconfig.TypeOf(table, "spin"); err != nil {
				return err
			}
			var c struct {
				Type string `toml:"type"`
				Path string `toml:"path"`
			}
			if err := runtimeconfig.Decode(table, &c); err != nil {
				return err
			}
			// Without a path the database is in memory (""), as in Spin.
			file, err := f.Resolve(c.Path)
			if err != nil {
				return err
			}
			d.files[label] = file
			return nil
		})
	}}
}

// Access returns what a component whose sqlite_databases are labels may
// open, opening their databases. A label with no database is an error
// naming it.
func (d *Databases) Access(ctx context.Context, labels []string) (*Access, error) {
	a := &Access{labels: labels, dbs: map[string]*Database{}}
	for _, label := range labels {
		db, ok := d.open[label]
		if !ok {
			file, ok := d.files[label]
			if !ok {
				return nil, undefinedDatabase(label)
			}
			var err error
			if db, err = Open(ctx, file); err != nil {
				return nil, fmt.Errorf("sqlite database %q: %w", label, err)
			}
			d.open[label] = db
		}
		a.dbs[label] = db
	}
	return a, nil
}

func undefinedDatabase(label string) error {
	return fmt.Errorf("sqlite database %q is not defined: only %q exists unless the runtime config declares [sqlite_database.%s]", label, DefaultLabel, label)
}

// Close closes every open database.
func (d *Databases) Close() error {
	var errs []error
	for label, db := range d.open {
		if err := db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("sqlite database %q: %w", label, err))
		}
		delete(d.open, label)
	}
	return errors.Join(errs...)
}

// Access is what one component may open. A nil Access denies every label.
type Access struct {
	labels []string
	dbs    map[string]*Database
}

// Open returns the database labelled label: ErrAccessDenied unless the
// component lists it, ErrNoSuchDatabase when nothing backs it.
func (a *Access) Open(_ context.Context, label string) (*Database, error) {
	if a == nil || !slices.Contains(a.labels, label) {
		return nil, ErrAccessDenied
	}
	db, ok := a.dbs[label]
	if !ok {
		return nil, ErrNoSuchDatabase
	}
	return db, nil
}
