package httpheader

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{"X-Custom": true, "a!#$%&'*+-.^_`|~z": true, "": false, "bad name": false, "x:y": false} {
		if got := ValidName(s); got != want {
			t.Errorf("ValidName(%q) = %v", s, got)
		}
	}
	for s, want := range map[string]bool{"": true, "a\tb c": true, "a\nb": false, "a\x7f": false, "é": true} {
		if got := ValidValue(s); got != want {
			t.Errorf("ValidValue(%q) = %v", s, got)
		}
	}
}

func TestAppendPairs(t *testing.T) {
	h := http.Header{"X-B": {"2"}, "Content-Type": {"t/p"}, "X-A": {"1", "1b"}}
	got := AppendPairs([][2]string{{"host", "h"}}, h)
	want := [][2]string{{"host", "h"}, {"content-type", "t/p"}, {"x-a", "1"}, {"x-a", "1b"}, {"x-b", "2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AppendPairs = %q, want %q", got, want)
	}
	if got := AppendPairs(nil, nil); got != nil {
		t.Errorf("AppendPairs(nil, nil) = %q", got)
	}
}

// CanonicalName agrees with net/http for the names it knows and the rest.
func TestCanonicalName(t *testing.T) {
	for _, name := range []string{"content-type", "content-length", "cache-control", "location", "etag",
		"last-modified", "content-encoding", "set-cookie", "x-custom-thing", "Content-Type", "CONTENT-TYPE", "www-authenticate", "x"} {
		if got, want := CanonicalName(name), http.CanonicalHeaderKey(name); got != want {
			t.Errorf("CanonicalName(%q) = %q, want %q", name, got, want)
		}
	}
}

// LowerBytes is strings.ToLower, without allocating for the common names
// in either case.
func TestLowerBytes(t *testing.T) {
	for _, name := range []string{"Accept", "accept-encoding", "Accept-Language", "Connection", "Content-Length",
		"content-type", "User-Agent", "Host", "X-Custom", "x-lower", "MiXeD-Ca5e", "", "é-X"} {
		if got, want := LowerBytes([]byte(name)), strings.ToLower(name); got != want {
			t.Errorf("LowerBytes(%q) = %q, want %q", name, got, want)
		}
	}
	common := []byte("User-Agent")
	if n := testing.AllocsPerRun(100, func() { _ = LowerBytes(common) }); n != 0 {
		t.Errorf("LowerBytes(%q): %v allocations, want none", common, n)
	}
}
