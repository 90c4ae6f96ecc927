package keyvalue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Provider opens the store behind a label.
type Provider interface {
	Open(ctx context.Context, label string) (Store, error)
}

// SQLiteProvider opens labels as stores of the SQLite file in StateDir
// (in memory when StateDir is empty), or of File when it is set.
type SQLiteProvider struct {
	StateDir string
	File     string
}

// Open opens the label's store; see OpenSQLite.
func (p SQLiteProvider) Open(ctx context.Context, label string) (Store, error) {
	if p.File != "" {
		return openSQLiteFile(ctx, p.File, label)
	}
	return OpenSQLite(ctx, p.StateDir, label)
}

// RedisProvider opens labels as the Redis database at URL.
type RedisProvider struct {
	URL string
}

// Open connects to the server; see OpenRedis.
func (p RedisProvider) Open(ctx context.Context, _ string) (Store, error) {
	return OpenRedis(ctx, p.URL)
}

// Stores are an App's key-value stores. Each label's store is opened when
// the first component that may use it is loaded, so that an unusable state
// directory fails the load, and is then shared by every request. Stores is
// not safe for concurrent use; the Access values it returns are.
type Stores struct {
	stateDir  string
	providers map[string]Provider // by label
	open      map[string]Store    // by label
}

// NewStores returns an App's stores: "default" is the SQLite store of
// stateDir (SQLiteFileName), or an in-memory one when stateDir is empty.
func NewStores(stateDir string) *Stores {
	return &Stores{
		stateDir:  stateDir,
		providers: map[string]Provider{DefaultLabel: SQLiteProvider{StateDir: stateDir}},
		open:      map[string]Store{},
	}
}

// Access returns what a component whose key_value_stores are labels may
// open, opening their stores. A label without a store (neither "default"
// nor declared by the runtime config) is an error naming it, as in Spin.
func (s *Stores) Access(ctx context.Context, labels []string) (*Access, error) {
	a := &Access{labels: labels, stores: map[string]Store{}}
	for _, label := range labels {
		store, ok := s.open[label]
		if !ok {
			p, ok := s.providers[label]
			if !ok {
				return nil, undefinedStore(label)
			}
			var err error
			if store, err = p.Open(ctx, label); err != nil {
				return nil, fmt.Errorf("key-value store %q: %w", label, err)
			}
			s.open[label] = store
		}
		a.stores[label] = store
	}
	return a, nil
}

func undefinedStore(label string) error {
	return fmt.Errorf("key-value store %q is not defined: only %q exists unless the runtime config declares [key_value_store.%s]", label, DefaultLabel, label)
}

// Close closes every open store that has a Close method.
func (s *Stores) Close() error {
	var errs []error
	for label, store := range s.open {
		if c, ok := store.(io.Closer); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("store %q: %w", label, err))
			}
		}
		delete(s.open, label)
	}
	return errors.Join(errs...)
}

// Access is what one component may open: the labels listed in its
// key_value_stores. It does not change once made.
type Access struct {
	labels []string
	stores map[string]Store
}

// Open returns the store labelled label: ErrAccessDenied unless the
// component lists it, ErrNoSuchStore when nothing backs it. A nil Access
// denies every label.
func (a *Access) Open(_ context.Context, label string) (Store, error) {
	if a == nil || !slices.Contains(a.labels, label) {
		return nil, ErrAccessDenied
	}
	s, ok := a.stores[label]
	if !ok {
		return nil, ErrNoSuchStore
	}
	return s, nil
}
