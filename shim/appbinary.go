package shim

import (
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/shim/appproto"
)

// childExecutable is the binary a task's child process (an app, its
// compile stage or a pause process) runs: appproto.AppBinaryName installed
// next to the shim, if it comes from the same build; else the shim itself
// in the child's mode. The app binary lacks the shim server's code and
// containerd's client packages: it starts faster and holds less memory.
func childExecutable(ctx context.Context) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding shim executable: %w", err)
	}
	app := filepath.Join(filepath.Dir(self), appproto.AppBinaryName)
	if err := sameBuild(app); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			log.G(ctx).WithError(err).Warnf("running the app in the shim binary instead of %s", app)
		}
		return self, nil
	}
	return app, nil
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
