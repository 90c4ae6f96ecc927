package shim

import (
	"debug/buildinfo"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/containerd/errdefs"

	"github.com/spinoci/spinoci/shim/appproto"
)

// childExecutable is the binary a task's child process (an app, its
// compile stage or a pause process) runs: appproto.AppBinaryName, installed
// next to the shim from the same build. The server binary does not link
// the engine, so that it starts fast and the server holds little memory.
func childExecutable() (string, error) {
	app, err := appBinary()
	if err != nil {
		return "", err
	}
	return app, checkAppBinary(app)
}

// checkAppBinary checks that app is an app binary the shim can run.
func checkAppBinary(app string) error {
	if err := sameBuild(app); err != nil {
		return fmt.Errorf("%w: %w: install %s next to the shim, from the same release (make install and the release tarballs have both)",
			errdefs.ErrFailedPrecondition, err, appproto.AppBinaryName)
	}
	return nil
}

// appBinary is the path of the app binary next to the shim.
func appBinary() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding shim executable: %w", err)
	}
	return filepath.Join(filepath.Dir(self), appproto.AppBinaryName), nil
}

// EngineVersion is the wasmtime version of the app binary next to the shim
// (from its build information), for the shim's -v; what is wrong instead
// when it cannot be read.
func EngineVersion() string {
	app, err := appBinary()
	if err != nil {
		return err.Error()
	}
	bi, err := buildinfo.ReadFile(app)
	if err != nil {
		return fmt.Sprintf("unknown (%s: %v)", appproto.AppBinaryName, err)
	}
	return engineVersionOf(bi)
}

// engineVersionOf is the wasmtime version a binary built as bi links.
func engineVersionOf(bi *debug.BuildInfo) string {
	for _, dep := range bi.Deps {
		if strings.HasPrefix(dep.Path, "github.com/bytecodealliance/wasmtime-go/") {
			return strings.TrimPrefix(dep.Version, "v")
		}
	}
	return fmt.Sprintf("unknown (%s links no wasmtime-go)", appproto.AppBinaryName)
}

// sameBuild checks that the executable at path was built with the same
// flags (version and commit stamps) from the same source revision as this
// shim, so that the two speak the same protocol.
func sameBuild(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	theirs, err := buildinfo.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the build information of %s: %w", path, err)
	}
	ours, ok := debug.ReadBuildInfo()
	if !ok {
		return errors.New("the shim has no build information")
	}
	for _, key := range []string{"-ldflags", "vcs.revision", "vcs.time", "vcs.modified"} {
		if a, b := buildSetting(ours, key), buildSetting(theirs, key); a != b {
			return fmt.Errorf("%s is from another build than the shim (%s %q, the shim's %q)", path, key, b, a)
		}
	}
	return nil
}

func buildSetting(bi *debug.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}
