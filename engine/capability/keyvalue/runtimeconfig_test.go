package keyvalue

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/runtimeconfig"
	"github.com/spinoci/spinoci/test/servers"
)

func TestRuntimeConfigRedisAndSpinStores(t *testing.T) {
	ctx := context.Background()
	url := servers.Redis(t).RedisURL()
	dir := t.TempDir()
	data := `
[key_value_store.cache]
type = "redis"
url = "` + url + `"

[key_value_store.local]
type = "spin"
path = "kv/local.db"
`
	open := func() (*Stores, *Access) {
		stores := NewStores(filepath.Join(dir, "state"))
		if err := runtimeconfig.Parse(&runtimeconfig.File{Path: filepath.Join(dir, "rc.toml")}, []byte(data), stores.RuntimeConfigSection()); err != nil {
			t.Fatal(err)
		}
		a, err := stores.Access(ctx, []string{"cache", "local", DefaultLabel})
		if err != nil {
			t.Fatal(err)
		}
		return stores, a
	}
	stores, a := open()
	for _, label := range []string{"cache", "local"} {
		s, err := a.Open(ctx, label)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Set(ctx, "b", []byte("2")); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(ctx, "a", []byte{}); err != nil {
			t.Fatal(err)
		}
		if err := s.Set(ctx, "gone", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "never-set"); err != nil {
			t.Errorf("%s: deleting a missing key: %v", label, err)
		}
	}
	if err := stores.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "kv/local.db")); err != nil {
		t.Errorf("spin store with a path: %v", err)
	}
	// A new App's stores see what the last one wrote.
	stores, a = open()
	defer stores.Close()
	for _, label := range []string{"cache", "local"} {
		s, _ := a.Open(ctx, label)
		if v, found, err := s.Get(ctx, "b"); err != nil || !found || string(v) != "2" {
			t.Errorf("%s: Get(b) = %q %v %v", label, v, found, err)
		}
		if v, found, err := s.Get(ctx, "a"); err != nil || !found || len(v) != 0 {
			t.Errorf("%s: Get(a) = %q %v %v", label, v, found, err)
		}
		if _, found, err := s.Get(ctx, "gone"); err != nil || found {
			t.Errorf("%s: Get(gone) found=%v %v", label, found, err)
		}
		if ok, err := s.Exists(ctx, "b"); err != nil || !ok {
			t.Errorf("%s: Exists(b) = %v %v", label, ok, err)
		}
		if keys, err := s.Keys(ctx); err != nil || !slices.Equal(keys, []string{"a", "b"}) {
			t.Errorf("%s: Keys = %q %v", label, keys, err)
		}
	}
}

func TestRuntimeConfigErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"[key_value_store.x]\ntype = \"azure_cosmos\"", `"x": unsupported type "azure_cosmos" (this runtime supports "spin", "redis")`},
		{"[key_value_store.x]\ntype = \"redis\"", `"x": missing "url"`},
		{"[key_value_store.x]\ntype = \"redis\"\nurl = \"redis://h\"\npath = \"p\"", `"x": unknown option path`},
	} {
		err := runtimeconfig.Parse(&runtimeconfig.File{}, []byte(tc.data), NewStores("").RuntimeConfigSection())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.data, err, tc.want)
		}
	}
	// A Redis store that cannot be reached fails the load, naming it.
	stores := NewStores("")
	if err := runtimeconfig.Parse(&runtimeconfig.File{}, []byte("[key_value_store.x]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:1\""), stores.RuntimeConfigSection()); err != nil {
		t.Fatal(err)
	}
	if _, err := stores.Access(context.Background(), []string{"x"}); err == nil || !strings.Contains(err.Error(), `key-value store "x"`) {
		t.Errorf("unreachable Redis: %v", err)
	}
}

// A "spin" store without a path is in memory, as in Spin: nothing is
// written to the state directory and a new Stores starts empty.
func TestRuntimeConfigSpinStoreWithoutPath(t *testing.T) {
	ctx := context.Background()
	state := t.TempDir()
	open := func() (*Stores, Store) {
		stores := NewStores(state)
		if err := runtimeconfig.Parse(&runtimeconfig.File{}, []byte("[key_value_store.mem]\ntype = \"spin\"\n"), stores.RuntimeConfigSection()); err != nil {
			t.Fatal(err)
		}
		a, err := stores.Access(ctx, []string{"mem"})
		if err != nil {
			t.Fatal(err)
		}
		s, err := a.Open(ctx, "mem")
		if err != nil {
			t.Fatal(err)
		}
		return stores, s
	}
	stores, s := open()
	if err := s.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	stores.Close()
	if entries, _ := os.ReadDir(state); len(entries) != 0 {
		t.Errorf("files in the state directory: %v", entries)
	}
	stores, s = open()
	defer stores.Close()
	if _, found, err := s.Get(ctx, "k"); err != nil || found {
		t.Errorf("a new in-memory store has k: %v %v", found, err)
	}
}
