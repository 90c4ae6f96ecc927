package shim

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRuntimeConfigPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rc.toml")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bind := func(src, dst string) specs.Mount {
		return specs.Mount{Destination: dst, Source: src, Type: "bind", Options: []string{"rbind", "ro"}}
	}
	for name, tc := range map[string]struct {
		mounts []specs.Mount
		want   string
	}{
		"none":          {nil, ""},
		"file":          {[]specs.Mount{bind("/proc", "/proc"), bind(file, "/runtime-config.toml")}, file},
		"secret volume": {[]specs.Mount{bind(dir, "/runtime-config.toml/")}, filepath.Join(dir, "runtime-config.toml")},
		"other path":    {[]specs.Mount{bind(file, "/etc/runtime-config.toml")}, ""},
		"not a bind":    {[]specs.Mount{{Destination: "/runtime-config.toml", Source: "tmpfs", Type: "tmpfs"}}, ""},
	} {
		if got := runtimeConfigPath(&specs.Spec{Mounts: tc.mounts}); got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}
