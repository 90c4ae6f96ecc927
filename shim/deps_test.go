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

// TestServerDoesNotLinkGRPC: the server binary, one per container, speaks
// to containerd with ttrpc and package containerdapi, not with grpc-go or
// containerd's shim library (their initialisation and memory are a
// container's start time and idle footprint).
func TestServerDoesNotLinkGRPC(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/spinoci/spinoci/cmd/containerd-shim-spinoci-v1/server").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"google.golang.org/grpc", "github.com/containerd/containerd/v2/pkg/shim", "github.com/containerd/containerd/api/runtime/task/v3"} {
			if dep == banned {
				t.Errorf("the server binary links %s", dep)
			}
		}
	}
}
