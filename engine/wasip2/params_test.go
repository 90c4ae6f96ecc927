package wasip2

import (
	"reflect"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

func TestReaders(t *testing.T) {
	st := (&Host{}).NewState(t.Context())
	pollRep := st.own(tyPollable, &pollable{})
	for _, tc := range []struct {
		name    string
		read    func(capi.Val) (any, error)
		in      capi.Val
		want    any
		wantErr string
	}{
		{"string", wrap(st, argString), capi.String("x"), "x", ""},
		{"string from u32", wrap(st, argString), capi.U32(1), "", "want string, got u32"},
		{"u64 from nothing", wrap(st, argU64), nil, uint64(0), "want u64, got no value"},
		{"bytes", wrap(st, argBytes), capi.Bytes("ab"), []byte("ab"), ""},
		{"empty list as bytes", wrap(st, argBytes), capi.List{}, []byte(nil), ""},
		{"list of strings as bytes", wrap(st, argBytes), capi.List{capi.String("a")}, []byte(nil), "want list<u8>, got list"},
		{"option none", wrap(st, argOption(argU64)), capi.None, (*uint64)(nil), ""},
		{"option payload", wrap(st, argOption(argU64)), capi.Some(capi.String("1")), (*uint64)(nil), "option payload: want u64, got string"},
		{"list element", wrap(st, argList(argString)), capi.List{capi.String("a"), capi.U8(1)}, []string(nil), "list element 1: want string, got u8"},
		{"method", wrap(st, argMethod), capi.Variant{Case: "post"}, "POST", ""},
		{"method other", wrap(st, argMethod), capi.Variant{Case: "other", Val: capi.String("PURGE")}, "PURGE", ""},
		{"method other without a string", wrap(st, argMethod), capi.Variant{Case: "other"}, "", "method case other: want string, got no value"},
		{"scheme", wrap(st, argScheme), capi.Variant{Case: "HTTPS"}, "HTTPS", ""},
		{"field", wrap(st, argField), capi.Tuple{capi.String("a"), capi.Bytes("b")}, field{name: "a", value: []byte("b")}, ""},
		{"field of one", wrap(st, argField), capi.Tuple{capi.String("a")}, field{}, "want tuple<field-name, field-value>, got tuple"},
		{"resource not a handle", wrap(st, borrowed[*pollable]), capi.U32(pollRep.Rep), (*pollable)(nil), "want a resource handle (*wasip2.pollable), got u32"},
		{"resource not live", wrap(st, borrowed[*pollable]), capi.Resource{Rep: 99}, (*pollable)(nil), "resource 99 is not live, want a *wasip2.pollable"},
		{"resource of another type", wrap(st, borrowed[*fields]), pollRep, (*fields)(nil), "resource 1 is a *wasip2.pollable, want a *wasip2.fields"},
	} {
		got, err := tc.read(tc.in)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error = %v, want %q", tc.name, err, tc.wantErr)
		case !reflect.DeepEqual(got, tc.want):
			t.Errorf("%s = %#v, want %#v", tc.name, got, tc.want)
		}
	}
	// owned takes the entry out of the table; borrowed leaves it.
	if _, err := borrowed[*pollable](st, pollRep); err != nil {
		t.Fatal(err)
	}
	if _, err := owned[*pollable](st, pollRep); err != nil {
		t.Fatal(err)
	}
	if _, err := borrowed[*pollable](st, pollRep); err == nil {
		t.Error("a handle passed as owned is still in the table")
	}
}

// An adapter does not run its body when an argument is missing or wrong.
func TestAdaptersCheckBeforeTheBody(t *testing.T) {
	ran := false
	f := fn2(argString, argU32, func(*State, string, uint32) (results, error) {
		ran = true
		return nil, nil
	})
	for _, tc := range []struct {
		args []capi.Val
		want string
	}{
		{[]capi.Val{capi.String("a")}, "got 1 arguments, want 2"},
		{[]capi.Val{capi.String("a"), capi.U64(1)}, "parameter 1: want u32, got u64"},
		{[]capi.Val{capi.U32(1), capi.U32(1)}, "parameter 0: want string, got u32"},
	} {
		if _, err := f(nil, tc.args); err == nil || err.Error() != tc.want {
			t.Errorf("%v: error = %v, want %q", tc.args, err, tc.want)
		}
	}
	if ran {
		t.Error("the body ran with bad arguments")
	}
	if _, err := f(nil, []capi.Val{capi.String("a"), capi.U32(1)}); err != nil || !ran {
		t.Errorf("good arguments: error = %v, body ran = %v", err, ran)
	}
}

// wrap lets readers of different types share a table.
func wrap[T any](st *State, r reader[T]) func(capi.Val) (any, error) {
	return func(v capi.Val) (any, error) {
		x, err := r(st, v)
		return x, err
	}
}
