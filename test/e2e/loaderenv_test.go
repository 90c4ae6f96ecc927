package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/spinoci/spinoci/shim/appproto"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// TestContainerEnvNeverReachesTheLoader: the app binary starts as root,
// before its sandbox is in place, with the container's environment; glibc
// acts on some of it (the loader of `make build`'s dynamically linked binary
// on LD_PRELOAD and LD_DEBUG_OUTPUT; malloc, in the release's static one
// too, on GLIBC_TUNABLES). A container whose environment names a
// shared library (here one whose constructor writes a file; a tenant could
// ship one as a static file of its app, at a path the file store makes
// predictable) must not get it loaded into the compile stage or the app
// process, nor have the loader write files; nor can the container's
// environment set the variables the shim passes to the app binary's
// constructor (the sandbox): the app starts, confined, and serves as
// without them.
func TestContainerEnvNeverReachesTheLoader(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Fatalf("gcc, which builds the test's library (and the app binary), not found: run test/deps.sh")
	}
	paths := harness.Require(t, harness.ContainerdLatest)
	f := setupSpin1(t, paths, harness.ContainerdLatest)
	d := f.d.For(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "loaded")
	src := filepath.Join(dir, "preload.c")
	lib := filepath.Join(dir, "preload.so")
	code := fmt.Sprintf(`#include <stdio.h>
__attribute__((constructor)) static void loaded(void) {
	FILE *f = fopen(%q, "a");
	if (f != NULL) { fputs("loaded\n", f); fclose(f); }
}
`, marker)
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-shared", "-fPIC", "-o", lib, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	debugOut := filepath.Join(dir, "ld-debug")
	env := []string{"SPIN_VARIABLE_API_KEY=s3cret", "WHO=world", "LD_PRELOAD=" + lib, "LD_DEBUG=files", "LD_DEBUG_OUTPUT=" + debugOut,
		"GLIBC_TUNABLES=glibc.malloc.check=3",
		// The shim's own variables to the constructor.
		appproto.EnvSandboxFD + "=", appproto.EnvJoin + "=", appproto.HeldEnvPrefix + "LD_PRELOAD=" + lib}

	id := "loader-env"
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	runSpin1With(t, d, []string{"--seccomp"}, f.ref(repoSpin1), id, addr, harness.TempDir(t, "kv"), filepath.Join(dir, "app.log"), env...)
	check(t, addr,
		exchange{path: "/", status: 200, want: helloBody},
		exchange{path: "/host/config/greeting", status: 200, want: "Hello, world!"},
	)
	pid := taskPid(t, d, id)
	if status := procStatus(t, pid); status["Seccomp"] != "2" || status["NoNewPrivs"] != "1" {
		t.Errorf("the app process is not confined: Seccomp %q, NoNewPrivs %q", status["Seccomp"], status["NoNewPrivs"])
	}
	assertSandboxedFiles(t, pid, d.AppDir(id))
	stopSpin1(t, d, id)
	if data, err := os.ReadFile(marker); err == nil {
		t.Errorf("the container's LD_PRELOAD library was loaded into the shim's children (%d times)", len(data)/len("loaded\n"))
	}
	if found, _ := filepath.Glob(debugOut + "*"); len(found) > 0 {
		t.Errorf("the loader wrote the container's LD_DEBUG_OUTPUT: %v", found)
	}
}
