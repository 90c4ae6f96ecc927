package appprocess

import (
	"runtime/debug"
	"testing"
)

// TestTuneGCForServing: the serving GC percent applies unless the
// environment sets GOGC, which then stays in force.
func TestTuneGCForServing(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })

	tuneGCForServing(func(string) string { return "50" })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, the GC percent changed to %d", got)
	}
	tuneGCForServing(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != servingGCPercent {
		t.Errorf("GC percent %d once serving, want %d", got, servingGCPercent)
	}
}
