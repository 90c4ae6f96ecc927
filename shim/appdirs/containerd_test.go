package appdirs

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRemoveUnfinished: the temporary directories a killed shim left
// while materialising an app go (they would pin store entries), and only
// those of that container.
func TestRemoveUnfinished(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "c1")
	for _, name := range []string{"c1.tmp-123", "c1.tmp-456/files", "c10.tmp-1", "c2.tmp-1", "c1"} {
		if err := os.MkdirAll(filepath.Join(parent, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	RemoveUnfinished(t.Context(), dir)
	var left []string
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"c1", "c10.tmp-1", "c2.tmp-1"}; !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
}
