package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/shim/rendezvous"
	"github.com/spinoci/spinoci/shim/seccompbpf"
)

// runAsShimEnv makes the test binary run main, so the tests exercise the
// real command line of the shim without building it separately.
const runAsShimEnv = "SPINOCI_TEST_RUN_SHIM_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsShimEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// shimCopy copies the test binary to dir as the shim binary.
func shimCopy(t *testing.T, dir string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	shim := filepath.Join(dir, "containerd-shim-spinoci-v1")
	dst, err := os.OpenFile(shim, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return shim
}

// TestOtherActionsRunTheServer: everything but the start action (the
// delete action, -v) is handed to the server binary next to the shim, with
// the same arguments, environment and working directory.
func TestOtherActionsRunTheServer(t *testing.T) {
	dir := t.TempDir()
	shim := shimCopy(t, dir)
	server := "#!/bin/sh\necho \"server: $* in $(pwd) with $SPINOCI_TEST_MARK\"\n"
	if err := os.WriteFile(shim+"-server", []byte(server), 0o755); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	for _, args := range [][]string{{"-namespace", "default", "-id", "c1", "delete"}, {"-v"}} {
		cmd := exec.Command(shim, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), runAsShimEnv+"=1", "SPINOCI_TEST_MARK=kept")
		out, err := cmd.CombinedOutput()
		want := "server: " + strings.Join(args, " ") + " in " + work + " with kept\n"
		if err != nil || string(out) != want {
			t.Errorf("%v: %q, %v; want %q", args, out, err, want)
		}
	}
}

func TestAMissingServerIsNamed(t *testing.T) {
	shim := shimCopy(t, t.TempDir())
	cmd := exec.Command(shim, "-namespace", "default", "-id", "c1", "delete")
	cmd.Env = append(os.Environ(), runAsShimEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "containerd-shim-spinoci-v1-server") || !strings.Contains(string(out), "install it next to the shim") {
		t.Errorf("without a server binary: %q, %v", out, err)
	}
}

// TestShimBinaryStaysSmall: the start action runs on every start, and an
// exec costs in proportion to what the binary links, so the shim binary
// builds without cgo and links neither the shim server, containerd's
// client, shim library or API types, nor grpc-go's transport: it reads a
// new server's first app through package containerdapi's three calls.
func TestShimBinaryStaysSmall(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps with CGO_ENABLED=0: %v\n%s", err, out)
	}
	banned := []string{"github.com/spinoci/spinoci/shim", "google.golang.org/grpc", "google.golang.org/grpc/internal/transport",
		"github.com/containerd/containerd/v2/client", "github.com/containerd/containerd/v2/pkg/shim"}
	for _, dep := range strings.Fields(string(out)) {
		if slices.Contains(banned, dep) || strings.HasPrefix(dep, "github.com/containerd/containerd/api/") ||
			strings.Contains(dep, "wasmtime") || strings.HasPrefix(dep, "github.com/spinoci/spinoci/engine") {
			t.Errorf("the shim binary links %s", dep)
		}
	}
}

// TestCompileSeccompAction: `compile-seccomp BUNDLE` compiles the bundle's
// seccomp profile into it, for the server of a container that had no start
// action; a profile that does not compile fails, naming it.
func TestCompileSeccompAction(t *testing.T) {
	shim := shimCopy(t, t.TempDir())
	for _, tc := range []struct {
		name, action string
		ok           bool
	}{{"allowed calls", "SCMP_ACT_ALLOW", true}, {"a notify action", "SCMP_ACT_NOTIFY", false}} {
		t.Run(tc.name, func(t *testing.T) {
			bundle := t.TempDir()
			spec := `{"ociVersion":"1.1.0","linux":{"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"` + tc.action + `"}]}}}`
			if err := os.WriteFile(filepath.Join(bundle, "config.json"), []byte(spec), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(shim, rendezvous.CompileSeccompAction, bundle)
			cmd.Env = append(os.Environ(), runAsShimEnv+"=1")
			out, err := cmd.CombinedOutput()
			prog, rerr := seccompbpf.ReadFilter(bundle)
			if tc.ok && (err != nil || rerr != nil || len(prog) == 0) {
				t.Errorf("compile-seccomp: %v (%s); the filter: %d instructions, %v", err, out, len(prog), rerr)
			}
			if !tc.ok && (err == nil || !strings.Contains(string(out), "seccomp profile") || rerr == nil) {
				t.Errorf("compile-seccomp of a bad profile: %v (%s), a filter read: %v; want a failure naming the profile and no filter", err, out, rerr)
			}
		})
	}
}
