package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAppBinaryIsSlim keeps the app binary free of the shim server and of
// containerd's client packages, which are why it exists.
func TestAppBinaryIsSlim(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/spinoci/spinoci/cmd/containerd-shim-spinoci-v1/app").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/containerd/containerd", "google.golang.org/grpc", "github.com/containerd/ttrpc"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("the app binary depends on %s", dep)
			}
		}
		if dep == "github.com/spinoci/spinoci/shim" {
			t.Errorf("the app binary links the shim server (%s)", dep)
		}
	}
}
