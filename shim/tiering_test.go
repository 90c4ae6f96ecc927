package shim

import "testing"

// TestKilledByOOM: a stage killed by SIGKILL while its cgroup's OOM kill
// count grew was the OOM killer's; any other exit, or a SIGKILL with no
// OOM kill (the shim stopping it), was not.
func TestKilledByOOM(t *testing.T) {
	for _, tc := range []struct {
		status        int
		before, after uint64
		want          bool
	}{
		{137, 0, 1, true},
		{137, 3, 5, true},
		{137, 2, 2, false}, // killed by the shim, not the OOM killer
		{1, 0, 1, false},   // failed on its own while something else was OOM-killed
		{0, 0, 1, false},
	} {
		if got := killedByOOM(tc.status, tc.before, tc.after); got != tc.want {
			t.Errorf("killedByOOM(%d, %d, %d) = %v, want %v", tc.status, tc.before, tc.after, got, tc.want)
		}
	}
}
