package wasip2

import (
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// A guest whose import declares a host function with other parameter types
// than the WIT traps with an error naming the function, the parameter, the
// type expected and the type received.
func TestArgumentMismatchTraps(t *testing.T) {
	f := newFixture(t, "misuse", Config{})
	for _, tc := range []struct{ export, want string }{
		{"wrong-type", "wasi:http/types@0.2.6#[method]fields.get: parameter 1: want string, got u32"},
		{"wrong-resource", "wasi:http/types@0.2.6#[constructor]outgoing-response: parameter 0: resource 1 is a *wasip2.requestOptions, want a *wasip2.fields"},
		{"wrong-arity", "wasi:http/types@0.2.6#[method]fields.entries: got 2 arguments, want 1"},
	} {
		_, _, err := f.call(t, tc.export, 0)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want one containing %q", tc.export, err, tc.want)
		}
	}
}

func TestResourceHandles(t *testing.T) {
	f := newFixture(t, "misuse", Config{})
	// A second body of one outgoing-request is the WIT error, not a trap.
	out, _, err := f.call(t, "body-twice", 1)
	if err != nil || out[0] != capi.U32(1) {
		t.Errorf("body-twice = %v, %v; want 1 (ok, then error)", out, err)
	}
	// Dropping an owned handle runs the host's destructor: the table
	// entry goes.
	_, st, err := f.call(t, "drop-fields", 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(st.table.items); n != 0 {
		t.Errorf("after the guest dropped its only handle, the table holds %d items: %v", n, st.table.items)
	}
	// A dropped handle cannot be used again.
	if _, _, err := f.call(t, "use-dropped", 0); err == nil || !strings.Contains(err.Error(), "unknown handle index") {
		t.Errorf("calling a method on a dropped handle: error = %v, want unknown handle index", err)
	}
}
