package wasip2

import (
	"context"
	"reflect"
	"testing"

	"github.com/spinoci/spinoci/engine/capability/keyvalue"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// storesByLabel opens real stores by label; "denied" is refused and
// labels it lacks have no store.
type storesByLabel map[string]KVStore

func (s storesByLabel) Open(_ context.Context, label string) (KVStore, error) {
	if label == "denied" {
		return nil, ErrAccessDenied
	}
	st, ok := s[label]
	if !ok {
		return nil, ErrNoSuchStore
	}
	return st, nil
}

func TestWASIKeyValue(t *testing.T) {
	ctx := context.Background()
	sq, err := keyvalue.OpenSQLite(ctx, "", "default")
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	plain := &fakeStore{data: map[string][]byte{}} // no atomic operations
	f := newFixture(t, "wasi-keyvalue", Config{KeyValue: storesByLabel{"default": sq, "plain": plain}})
	call := func(name string, args ...capi.Val) capi.Val {
		t.Helper()
		out, _, err := f.call(t, name, 1, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return out[0]
	}
	s := func(v string) capi.Val { return capi.String(v) }

	if got, want := call("set-get", s("default"), s("k"), capi.Bytes("v1")), capi.Ok(capi.Some(capi.Bytes("v1"))); !reflect.DeepEqual(got, want) {
		t.Errorf("set-get = %#v, want %#v", got, want)
	}
	for label, want := range map[string]string{"denied": "access-denied", "missing": "no-such-store"} {
		if got := call("set-get", s(label), s("k"), capi.Bytes("v")); !reflect.DeepEqual(got, capi.Err(capi.Variant{Case: want})) {
			t.Errorf("set-get(%s) = %#v, want %s", label, got, want)
		}
	}
	for _, d := range []int64{5, -2} {
		call("increment", s("default"), s("n"), capi.S64(d))
	}
	if got := call("increment", s("default"), s("n"), capi.S64(0)); !reflect.DeepEqual(got, capi.Ok(capi.S64(3))) {
		t.Errorf("increment = %#v, want ok(3)", got)
	}
	if got := call("increment", s("default"), s("k"), capi.S64(1)).(capi.Result); got.Ok || got.Val.(capi.Variant).Case != "other" {
		t.Errorf("increment of a non-integer = %#v, want other", got)
	}
	if got := call("increment", s("plain"), s("n"), capi.S64(1)).(capi.Result); got.Ok || got.Val.(capi.Variant).Case != "other" {
		t.Errorf("increment without atomics = %#v, want other", got)
	}

	keys := capi.List{s("k"), s("n"), s("none")}
	want := capi.Ok(capi.List{
		capi.Tuple{s("k"), capi.Some(capi.Bytes("v1"))},
		capi.Tuple{s("n"), capi.Some(capi.Bytes("3"))},
		capi.Tuple{s("none"), capi.None},
	})
	if got := call("get-many", s("default"), keys); !reflect.DeepEqual(got, want) {
		t.Errorf("get-many = %#v, want %#v", got, want)
	}

	if got := call("cas", s("default"), s("k"), capi.Bytes("v2")); got != capi.U32(0) {
		t.Errorf("cas = %v, want 0 (swapped)", got)
	}
	if got := call("cas", s("default"), s("k"), capi.Bytes("race")); got != capi.U32(11) {
		t.Errorf("cas with a concurrent write = %v, want 11 (cas-failed)", got)
	}
	if v, _, _ := sq.Get(ctx, "k"); string(v) != "!" {
		t.Errorf("after the lost race k = %q, want the other writer's %q", v, "!")
	}
	if got := call("cas", s("plain"), s("k"), capi.Bytes("v")); got != capi.U32(10) {
		t.Errorf("cas without atomics = %v, want 10 (store-error)", got)
	}

	if got := call("delete-many", s("default"), capi.List{s("k"), s("n"), s("none")}); got != capi.U32(0) {
		t.Errorf("delete-many = %v, want 0", got)
	}
	if keys, _ := sq.Keys(ctx); len(keys) != 0 {
		t.Errorf("keys after delete-many: %q", keys)
	}
}
