package lock

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLockIsPureData keeps package lock free of I/O: no files, archives or
// network (materialising an app directory is package appdir's job).
func TestLockIsPureData(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{join .Imports \" \"}}", "github.com/spinoci/spinoci/lock").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, imp := range strings.Fields(string(out)) {
		if imp == "os" || imp == "net" || strings.HasPrefix(imp, "os/") || strings.HasPrefix(imp, "net/") ||
			strings.HasPrefix(imp, "archive/") || strings.HasPrefix(imp, "compress/") {
			t.Errorf("lock imports %s: lock must stay pure data", imp)
		}
	}
}
