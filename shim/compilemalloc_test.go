package shim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestCompileHeapFits: a stage pads its heaps without a memory limit, and
// under one that holds its estimated peak and a pad per compiler thread
// and for the main heap; the JS component's stage (12.2 MB of wasm, a
// 410 MB peak unpadded) not in 512 MiB on two CPUs, nor in 1 GiB on a
// machine of 16.
func TestCompileHeapFits(t *testing.T) {
	const mib = 1 << 20
	js := int64(12_203_398)
	for _, tc := range []struct {
		name        string
		limit, wasm int64
		cpus        int
		want        bool
	}{
		{"no limit", 0, js, 64, true},
		{"a negative limit (none)", -1, js, 2, true},
		{"JS component, 512 MiB, 2 CPUs", 512 * mib, js, 2, false},
		{"JS component, 1 GiB, 2 CPUs", 1024 * mib, js, 2, true},
		{"JS component, 1 GiB, 16 CPUs", 1024 * mib, js, 16, false},
		{"a tiny module, 128 MiB, 2 CPUs", 128 * mib, 367, 2, false},
		{"a tiny module, 256 MiB, 2 CPUs", 256 * mib, 367, 2, true},
		{"exactly the need", compileStageBase + compileStagePerWasmByte*js + 3*compileHeapPad, js, 2, true},
		{"a byte short of it", compileStageBase + compileStagePerWasmByte*js + 3*compileHeapPad - 1, js, 2, false},
	} {
		if got := compileHeapFits(tc.limit, tc.wasm, tc.cpus); got != tc.want {
			t.Errorf("%s: compileHeapFits(%d, %d, %d) = %v, want %v", tc.name, tc.limit, tc.wasm, tc.cpus, got, tc.want)
		}
	}
}

// TestPadsCompileHeap: the decision for a launch, from its cgroup, its
// memory limit and its app's largest wasm.
func TestPadsCompileHeap(t *testing.T) {
	lockPath := materializedApp(t, []byte("\x00asm\x01\x00\x00\x00"))
	limited := func(n int64) *specs.LinuxResources {
		return &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &n}}
	}
	for _, tc := range []struct {
		name   string
		launch appLaunch
		want   bool
	}{
		{"in the shim's cgroup", appLaunch{lockPath: lockPath}, false},
		{"a cgroup without resources", appLaunch{lockPath: lockPath, cgroupPath: "/c"}, true},
		{"a cgroup without a memory limit", appLaunch{lockPath: lockPath, cgroupPath: "/c", resources: &specs.LinuxResources{}}, true},
		{"a 64 MiB limit", appLaunch{lockPath: lockPath, cgroupPath: "/c", resources: limited(64 << 20)}, false},
		{"a limit with room", appLaunch{lockPath: lockPath, cgroupPath: "/c", resources: limited(1 << 40)}, true},
		{"a limit, and an app that cannot be read", appLaunch{lockPath: filepath.Join(t.TempDir(), "spin.lock"), cgroupPath: "/c",
			resources: limited(1 << 40)}, false},
	} {
		if got := padsCompileHeap(t.Context(), tc.launch); got != tc.want {
			t.Errorf("%s: padsCompileHeap = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestLargestWasm: the size of an app's largest wasm; an app directory
// without its lock is an error.
func TestLargestWasm(t *testing.T) {
	wasm := []byte("\x00asm\x01\x00\x00\x00" + strings.Repeat("\x00", 100))
	got, err := largestWasm(filepath.Dir(materializedApp(t, wasm)))
	if err != nil || got != int64(len(wasm)) {
		t.Errorf("largestWasm = %d, %v; want %d", got, err, len(wasm))
	}
	if _, err := largestWasm(t.TempDir()); err == nil {
		t.Error("largestWasm of a directory without an app: no error")
	}
}

// TestFastCompileStagePadsItsHeap: a first start's fast compile stage gets
// the pad in its environment where its container has room; the optimising
// stage, made from the same launch (compileStage), and the app never do.
func TestFastCompileStagePadsItsHeap(t *testing.T) {
	l := appLaunch{lockPath: materializedApp(t, []byte("\x00asm\x01\x00\x00\x00")), cgroupPath: "/c"}
	pad := "glibc.malloc.top_pad=67108864"
	hasPad := func(l appLaunch) bool {
		for _, kv := range l.childEnv(nil) {
			if strings.HasPrefix(kv, "GLIBC_TUNABLES=") && strings.Contains(kv, pad) {
				return true
			}
		}
		return false
	}
	if !hasPad(fastCompileStage(t.Context(), l)) {
		t.Errorf("fast compile stage without a memory limit: environment %q lacks %s", fastCompileStage(t.Context(), l).childEnv(nil), pad)
	}
	if hasPad(compileStage(l)) || hasPad(l) {
		t.Errorf("optimising stage or app padded: %q, %q", compileStage(l).childEnv(nil), l.childEnv(nil))
	}
	tight := int64(64 << 20)
	l.resources = &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &tight}}
	if hasPad(fastCompileStage(t.Context(), l)) {
		t.Errorf("fast compile stage under a 64 MiB limit padded: %q", fastCompileStage(t.Context(), l).childEnv(nil))
	}
}

// TestCompileStageTunablesInMakefile: make bench-compile compiles with the
// tunables of a padded compile stage.
func TestCompileStageTunablesInMakefile(t *testing.T) {
	makefile, err := os.ReadFile(filepath.Join("..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	want := "COMPILE_STAGE_TUNABLES := " + CompileStageTunables(true) + "\n"
	if !strings.Contains(string(makefile), want) {
		t.Errorf("Makefile lacks the line %q", want)
	}
}
