package wasip2

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// fakeVariables resolves names from a map. Upper-case names are invalid and
// "broken" fails in the provider.
type fakeVariables map[string]string

func (v fakeVariables) Get(_ context.Context, name string) (string, error) {
	switch {
	case strings.ToLower(name) != name:
		return "", fmt.Errorf("%w: %q", ErrInvalidVariableName, name)
	case name == "broken":
		return "", errors.New("provider down")
	}
	value, ok := v[name]
	if !ok {
		return "", fmt.Errorf("%w: %s", ErrUndefinedVariable, name)
	}
	return value, nil
}

// fakeKeyValue holds in-memory stores by label; "denied" is refused.
type fakeKeyValue map[string]*fakeStore

func (kv fakeKeyValue) Open(_ context.Context, label string) (KVStore, error) {
	if label == "denied" {
		return nil, fmt.Errorf("%w: %s", ErrAccessDenied, label)
	}
	s, ok := kv[label]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchStore, label)
	}
	return s, nil
}

// fakeStore is a map; with failWrites set, Set and Delete fail.
type fakeStore struct {
	data       map[string][]byte
	failWrites bool
}

var errWriteFailed = errors.New("disk full")

func (s *fakeStore) Get(_ context.Context, key string) ([]byte, bool, error) {
	v, ok := s.data[key]
	return v, ok, nil
}

func (s *fakeStore) Set(_ context.Context, key string, value []byte) error {
	if s.failWrites {
		return errWriteFailed
	}
	s.data[key] = value
	return nil
}

func (s *fakeStore) Delete(_ context.Context, key string) error {
	if s.failWrites {
		return errWriteFailed
	}
	delete(s.data, key)
	return nil
}

func (s *fakeStore) Exists(_ context.Context, key string) (bool, error) {
	_, ok := s.data[key]
	return ok, nil
}

func (s *fakeStore) Keys(context.Context) ([]string, error) {
	keys := make([]string, 0, len(s.data))
	for k := range s.data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, nil
}

func strs(s ...string) []capi.Val {
	out := make([]capi.Val, len(s))
	for i := range s {
		out[i] = capi.String(s[i])
	}
	return out
}

func TestSpinVariablesAndKeyValue(t *testing.T) {
	def := &fakeStore{data: map[string][]byte{"old": []byte("x")}}
	f := newFixture(t, "spin", Config{
		Variables: fakeVariables{"greeting": "hello"},
		KeyValue:  fakeKeyValue{"default": def, "failing": {data: map[string][]byte{}, failWrites: true}},
	})
	for _, tc := range []struct {
		args []string
		want capi.Val
	}{
		{[]string{"greeting", "default", "k"}, capi.Ok(capi.Bytes("hello"))},
		{[]string{"Greeting", "default", "k"}, capi.Err(capi.U32(100))}, // invalid-name
		{[]string{"missing", "default", "k"}, capi.Err(capi.U32(101))},  // undefined
		{[]string{"broken", "default", "k"}, capi.Err(capi.U32(102))},   // provider
		{[]string{"greeting", "nope", "k"}, capi.Err(capi.U32(201))},    // no-such-store
		{[]string{"greeting", "denied", "k"}, capi.Err(capi.U32(202))},  // access-denied
		{[]string{"greeting", "failing", "k"}, capi.Err(capi.U32(303))}, // set: other
	} {
		out, _, err := f.call(t, "copy-var", 1, strs(tc.args...)...)
		if err != nil {
			t.Fatalf("copy-var%q: %v", tc.args, err)
		}
		if !reflect.DeepEqual(out[0], tc.want) {
			t.Errorf("copy-var%q = %#v, want %#v", tc.args, out[0], tc.want)
		}
	}
	if got := string(def.data["k"]); got != "hello" {
		t.Errorf("store default holds k = %q, want hello", got)
	}

	out, _, err := f.call(t, "keys", 1, strs("default")...)
	if want := capi.Ok(capi.List(strs("k", "old"))); err != nil || !reflect.DeepEqual(out[0], want) {
		t.Errorf("keys(default) = %#v, %v; want %#v", out, err, want)
	}
	out, _, err = f.call(t, "delete-key", 1, strs("default", "old")...)
	if err != nil || out[0] != capi.U32(0) {
		t.Errorf("delete-key(default, old) = %v, %v; want 0", out, err)
	}
	if _, ok := def.data["old"]; ok {
		t.Error("old is still stored after delete")
	}
	out, _, err = f.call(t, "delete-key", 1, strs("failing", "k")...)
	if err != nil || out[0] != capi.U32(603) {
		t.Errorf("delete-key(failing, k) = %v, %v; want 603 (other)", out, err)
	}
}

// Without providers, variables are undefined and stores refused.
func TestSpinWithoutProviders(t *testing.T) {
	f := newFixture(t, "spin", Config{})
	out, _, err := f.call(t, "copy-var", 1, strs("greeting", "default", "k")...)
	if want := capi.Err(capi.U32(101)); err != nil || !reflect.DeepEqual(out[0], want) {
		t.Errorf("copy-var = %#v, %v; want %#v (undefined)", out, err, want)
	}
	out, _, err = f.call(t, "delete-key", 1, strs("default", "k")...)
	if err != nil || out[0] != capi.U32(202) {
		t.Errorf("delete-key = %v, %v; want 202 (access-denied)", out, err)
	}
}
