// Package rdbmstest has what the database drivers' tests share.
package rdbmstest

import (
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/capability/rdbms"
)

// WantError fails t unless err is an *rdbms.Error (itself, not wrapped: what
// a driver returns) of kind whose message contains text; what names the case
// in the failure.
func WantError(t testing.TB, what string, err error, kind rdbms.ErrorKind, text string) {
	t.Helper()
	e, ok := err.(*rdbms.Error)
	if !ok || e.Kind != kind || !strings.Contains(e.Message, text) {
		t.Errorf("%s: error %v, want %s containing %q", what, err, kind.Name(), text)
	}
}
