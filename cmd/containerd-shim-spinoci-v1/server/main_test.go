package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/cmd/internal/buildinfo"
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

func TestVersionFlags(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"-v", "-version", "--version"} {
		t.Run(flag, func(t *testing.T) {
			cmd := exec.Command(self, flag)
			cmd.Env = append(os.Environ(), runAsShimEnv+"=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", flag, err, out)
			}
			text := string(out)
			for _, want := range []string{
				"containerd-shim-spinoci-v1 " + buildinfo.Version() + "\n",
				"commit: ",
				// No app binary sits next to the test binary.
				"wasmtime: unknown (containerd-shim-spinoci-v1-app: ",
				"task API: v2, v3\n",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("%s output lacks %q:\n%s", flag, want, text)
				}
			}
			if strings.Contains(text, "+unknown") {
				t.Errorf("%s prints containerd's library version:\n%s", flag, text)
			}
		})
	}
}

// TestServerBuildsWithoutCgo: the server binary is pure Go (a static
// binary, no dynamic loader at each start); only the app binary links the
// C constructor of package nsenter and wasmtime.
func TestServerBuildsWithoutCgo(t *testing.T) {
	cmd := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "server"), ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build with CGO_ENABLED=0: %v\n%s", err, out)
	}
}
