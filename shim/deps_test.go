package shim

import (
	"os/exec"
	"strings"
	"testing"
)

// deps lists the packages pkgs link.
func deps(t *testing.T, pkgs ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}

// TestShimDoesNotLinkTheEngine keeps the layering: the shim server and its
// binary must not link wasmtime, the engine or SQLite (only the app process
// does).
func TestShimDoesNotLinkTheEngine(t *testing.T) {
	for _, dep := range deps(t, "github.com/spinoci/spinoci/shim/...", "github.com/spinoci/spinoci/cmd/containerd-shim-spinoci-v1") {
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
	banned := map[string]bool{
		"google.golang.org/grpc":                               true,
		"github.com/containerd/containerd/v2/pkg/shim":         true,
		"github.com/containerd/containerd/api/runtime/task/v3": true,
	}
	for _, dep := range deps(t, "github.com/spinoci/spinoci/cmd/containerd-shim-spinoci-v1/server") {
		if banned[dep] {
			t.Errorf("the server binary links %s", dep)
		}
	}
}

// TestServerDoesNotLinkTheSeccompCompiler: the start action compiles a
// container's seccomp profile (package seccompbpf/compiler); the server, one per
// container or pod, would keep the compiler's syscall tables of every
// architecture for its life.
func TestServerDoesNotLinkTheSeccompCompiler(t *testing.T) {
	for _, dep := range deps(t, "github.com/spinoci/spinoci/cmd/containerd-shim-spinoci-v1/server") {
		if strings.HasPrefix(dep, "github.com/elastic/go-seccomp-bpf") || dep == "github.com/spinoci/spinoci/shim/seccompbpf/compiler" {
			t.Errorf("the server binary links %s", dep)
		}
	}
}
