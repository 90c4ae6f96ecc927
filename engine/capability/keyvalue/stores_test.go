package keyvalue

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestAccess(t *testing.T) {
	ctx := context.Background()
	state := t.TempDir()
	stores := NewStores(state)
	// A label neither "default" nor declared by the runtime config fails
	// the component's load, naming it.
	if _, err := stores.Access(ctx, []string{"default", "other"}); err == nil || !strings.Contains(err.Error(), `"other" is not defined`) {
		t.Errorf("undefined label: %v", err)
	}
	a, err := stores.Access(ctx, []string{"default"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Open(ctx, "secret"); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("unlisted label: %v, want ErrAccessDenied", err)
	}
	if _, err := (&Access{labels: []string{"other"}}).Open(ctx, "other"); !errors.Is(err, ErrNoSuchStore) {
		t.Errorf("listed label without a store: %v, want ErrNoSuchStore", err)
	}
	s, err := a.Open(ctx, DefaultLabel)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	// A second component shares the open store.
	b, err := stores.Access(ctx, []string{DefaultLabel})
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.Open(ctx, DefaultLabel)
	if v, found, err := s2.Get(ctx, "k"); err != nil || !found || string(v) != "v" {
		t.Errorf("Get through a second Access = %q %v %v", v, found, err)
	}
	// A component without key_value_stores (and a nil Access) may open nothing.
	none, err := stores.Access(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var nilAccess *Access
	for _, acc := range []*Access{none, nilAccess} {
		if _, err := acc.Open(ctx, DefaultLabel); !errors.Is(err, ErrAccessDenied) {
			t.Errorf("no labels: %v, want ErrAccessDenied", err)
		}
	}
	if err := stores.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(state, SQLiteFileName)); err != nil {
		t.Errorf("SQLite file: %v", err)
	}
}

func TestAccessUnusableStateDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	stores := NewStores(filepath.Join(file, "sub"))
	if _, err := stores.Access(context.Background(), []string{DefaultLabel}); err == nil {
		t.Error("opening the default store in an unusable state directory succeeded")
	}
}

func TestSQLiteStore(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, "", DefaultLabel)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, found, err := s.Get(ctx, "missing"); err != nil || found {
		t.Errorf("Get(missing) found=%v err=%v", found, err)
	}
	for _, k := range []string{"b", "a", "empty"} {
		v := []byte("value of " + k)
		if k == "empty" {
			v = nil
		}
		if err := s.Set(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if v, found, err := s.Get(ctx, "empty"); err != nil || !found || v == nil || len(v) != 0 {
		t.Errorf("Get(empty) = %q (nil %v) %v %v", v, v == nil, found, err)
	}
	if err := s.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "b"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
	if ok, err := s.Exists(ctx, "a"); err != nil || !ok {
		t.Errorf("Exists(a) = %v %v", ok, err)
	}
	if keys, err := s.Keys(ctx); err != nil || !slices.Equal(keys, []string{"a", "empty"}) {
		t.Errorf("Keys = %q %v", keys, err)
	}
}
