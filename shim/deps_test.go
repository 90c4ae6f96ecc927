package shim

import (
	"os/exec"
	"strings"
	"testing"
)

// TestShimDoesNotLinkTheEngine keeps the layering: the shim server and its
// binary must not link wasmtime, the engine or SQLite (only the app process
// does).
func TestShimDoesNotLinkTheEngine(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/spinoci/spinoci/shim/...",
		"github.com/spinoci/spinoci/cmd/containerd-shim-spinoci-v1").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"wasmtime", "github.com/spinoci/spinoci/engine", "sqlite"} {
			if strings.Contains(dep, banned) {
				t.Errorf("shim depends on %s (%q is the app process's business)", dep, banned)
			}
		}
	}
}
