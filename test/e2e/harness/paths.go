package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Pinned tool versions, as built by `make tools`.
const (
	ContainerdLatest = "2.4.2" // the 2.3+ bootstrap protocol
	ContainerdLegacy = "2.2.9" // the pre-2.3 (JSON) start protocol
	RegistryVersion  = "3.1.2"
)

// ContainerdVersions returns the daemons every end-to-end scenario runs
// against.
func ContainerdVersions() []string {
	return []string{ContainerdLatest, ContainerdLegacy, Containerd17}
}

// RuntimeType is the containerd runtime name of the shim.
const RuntimeType = "io.containerd.spinoci.v1"

// GroupAnnotation puts the containers (and, under CRI, the pods) that carry
// the same value into one shim server; the test daemons' CRI runtime passes
// it on from pods.
const GroupAnnotation = "io.containerd.spinoci.v1.group"

// ShimBinary is the binary name containerd derives from RuntimeType.
const ShimBinary = "containerd-shim-spinoci-v1"

// ServerBinary is the binary the shim's start action runs as the shim
// server, from next to the shim.
const ServerBinary = ShimBinary + "-server"

// Test app binaries built by test/apps/build.sh.
const (
	AppHello  = "hello.wasm"
	AppSpinGo = "spin-go.wasm"
	AppWagiGo = "wagi-go.wasm"
	// AppSpinRust is a Spin 1.x module in plain Rust std (test/apps/spin-rust).
	AppSpinRust = "spin-rust.wasm"
)

// Paths locates what the harness runs.
type Paths struct {
	Shim     string // the shim binary (SPINOCI_SHIM; default bin/containerd-shim-spinoci-v1)
	AppsDir  string // the built test apps (SPINOCI_APPS_DIR; default build/apps)
	ToolsDir string // the pinned tools (SPINOCI_TOOLS_DIR; default .cache/tools)
}

// LoadPaths reads the environment; unset variables default to the Makefile's
// locations under the repository root (found by walking up to go.mod).
func LoadPaths() Paths {
	root := RepoRoot()
	get := func(env, def string) string {
		if v := os.Getenv(env); v != "" {
			if abs, err := filepath.Abs(v); err == nil {
				return abs
			}
			return v
		}
		return filepath.Join(root, def)
	}
	return Paths{
		Shim:     get("SPINOCI_SHIM", filepath.Join("bin", ShimBinary)),
		AppsDir:  get("SPINOCI_APPS_DIR", filepath.Join("build", "apps")),
		ToolsDir: get("SPINOCI_TOOLS_DIR", filepath.Join(".cache", "tools")),
	}
}

// RepoRoot is the repository root: the nearest directory above the working
// directory holding go.mod.
func RepoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// Containerd returns the containerd and ctr binaries of a pinned version.
func (p Paths) Containerd(version string) (daemon, ctr string) {
	dir := filepath.Join(p.ToolsDir, "containerd-v"+version)
	return filepath.Join(dir, "containerd"), filepath.Join(dir, "ctr")
}

// Registry returns the registry binary.
func (p Paths) Registry() string {
	return filepath.Join(p.ToolsDir, "registry-v"+RegistryVersion, "registry")
}

// App returns the path of a built test app (e.g. AppHello).
func (p Paths) App(name string) string { return filepath.Join(p.AppsDir, name) }

// Missing lists what is absent among the shim, the test apps, the registry
// and the given containerd versions.
func (p Paths) Missing(containerdVersions ...string) []string {
	want := []string{p.Shim, p.Registry(), p.App(AppHello), p.App(AppSpinGo), p.App(AppWagiGo)}
	for _, v := range containerdVersions {
		d, c := p.Containerd(v)
		want = append(want, d, c)
	}
	var missing []string
	for _, f := range want {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	return missing
}

// Require skips t unless it runs as root and everything the end-to-end tests
// need is built; it returns the paths. Under CI (CI set and not "false") a
// missing prerequisite fails t instead: CI must not pass by skipping.
func Require(t T, containerdVersions ...string) Paths {
	t.Helper()
	skip := t.Skipf
	if ci := os.Getenv("CI"); ci != "" && ci != "false" {
		skip = t.Fatalf
	}
	if os.Geteuid() != 0 {
		skip("end-to-end tests need root (containerd and its shims run as root); run `make test` or `make e2e-test` as root")
	}
	p := LoadPaths()
	if m := p.Missing(containerdVersions...); len(m) > 0 {
		skip("missing %v: run `make build tools testapps` (or `make test`), or set SPINOCI_SHIM, SPINOCI_APPS_DIR, SPINOCI_TOOLS_DIR", m)
	}
	return p
}

// ReadApp returns the bytes of a built test app.
func (p Paths) ReadApp(name string) ([]byte, error) {
	b, err := os.ReadFile(p.App(name))
	if err != nil {
		return nil, fmt.Errorf("test app %s: %w (run `make testapps`)", name, err)
	}
	if len(b) < 8 {
		return nil, errors.New("test app " + name + " is too short to be wasm")
	}
	return b, nil
}
