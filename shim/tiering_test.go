package shim

import (
	"errors"
	"testing"
)

// TestKilledByOOM: a stage that failed (an error before it reported ready,
// or a non-zero status) while its cgroup's OOM kill count grew was the OOM
// killer's victim; one that succeeded, or failed with no OOM kill (the
// shim stopping it, a compile error), was not.
func TestKilledByOOM(t *testing.T) {
	exited := errors.New("the app process exited before it was ready")
	for _, tc := range []struct {
		err           error
		status        int
		before, after uint64
		want          bool
	}{
		{exited, 0, 0, 1, true},
		{nil, 137, 3, 5, true},
		{nil, 137, 2, 2, false}, // killed by the shim, not the OOM killer
		{exited, 0, 1, 1, false},
		{nil, 1, 0, 0, false},
		{nil, 0, 0, 1, false}, // finished while something else was OOM-killed
	} {
		if got := killedByOOM(tc.err, tc.status, tc.before, tc.after); got != tc.want {
			t.Errorf("killedByOOM(%v, %d, %d, %d) = %v, want %v", tc.err, tc.status, tc.before, tc.after, got, tc.want)
		}
	}
}
