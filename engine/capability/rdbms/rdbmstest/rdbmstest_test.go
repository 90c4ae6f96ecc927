package rdbmstest

import (
	"fmt"
	"testing"

	"github.com/spinoci/spinoci/engine/capability/rdbms"
)

// recorder is a testing.TB that records whether Errorf was called.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }

func TestWantError(t *testing.T) {
	err := &rdbms.Error{Kind: rdbms.QueryFailed, Message: `column "date" is infinite`}
	for _, tc := range []struct {
		name string
		err  error
		kind rdbms.ErrorKind
		text string
		fail bool
	}{
		{"match", err, rdbms.QueryFailed, `column "date"`, false},
		{"wrapped", fmt.Errorf("query: %w", err), rdbms.QueryFailed, "infinite", true},
		{"other kind", err, rdbms.ConnectionFailed, `column "date"`, true},
		{"other text", err, rdbms.QueryFailed, "password", true},
		{"no error", nil, rdbms.QueryFailed, "", true},
	} {
		r := &recorder{TB: t}
		WantError(r, tc.name, tc.err, tc.kind, tc.text)
		if r.failed != tc.fail {
			t.Errorf("%s: failed %v, want %v", tc.name, r.failed, tc.fail)
		}
	}
}
