package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPathsAndReferences checks how inspect and run read their argument:
// paths are local, bare names are not looked up on Docker Hub, and a file
// that is neither a manifest nor a lock says so.
func TestPathsAndReferences(t *testing.T) {
	dir := appDir(t, "spin2")
	home := filepath.Dir(dir)
	t.Setenv("HOME", home)
	wasm := filepath.Join(dir, "apps", "hello.wasm")
	t.Chdir(home)

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing path", []string{"inspect", "./nope"}, ExitFailure, "Error: ./nope does not exist\n"},
		{"missing absolute path", []string{"run", "/nonexistent/app"}, ExitFailure, "Error: /nonexistent/app does not exist\n"},
		{"missing home path", []string{"inspect", "~/nope"}, ExitFailure, "Error: ~/nope does not exist\n"},
		{"bare name", []string{"run", "nope"}, ExitUsage,
			"Error: no file or directory nope, and nope is not a fully qualified reference: give the registry host, e.g. docker.io/library/nope or localhost:5000/nope\n"},
		{"Docker Hub short name", []string{"inspect", "me/app:v1"}, ExitUsage,
			"Error: no file or directory me/app:v1, and me/app:v1 is not a fully qualified reference: give the registry host, e.g. docker.io/me/app:v1 or localhost:5000/me/app:v1\n"},
		{"wasm file", []string{"inspect", wasm}, ExitFailure, "Error: " + wasm + " is not a spin.toml or spin.lock\n"},
		{"pull a path", []string{"pull", "./spin2"}, ExitUsage, "Error: ./spin2 is a path, not a registry reference\n"},
		{"push to a bare name", []string{"push", "--from", dir, "app"}, ExitUsage,
			"Error: app is not a fully qualified reference: give the registry host, e.g. docker.io/library/app or localhost:5000/app\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := spinoci(t, append([]string{"--cache-dir", t.TempDir()}, tc.args...)...)
			if code != tc.code || !strings.HasPrefix(stderr, tc.want) {
				t.Errorf("exit %d, stderr\n%s\nwant exit %d and\n%s", code, stderr, tc.code, tc.want)
			}
		})
	}

	// Each way of naming the app directory reads it.
	manifest := filepath.Join(dir, "spin.toml")
	for _, arg := range []string{"spin2", "./spin2", "~/spin2", dir, manifest, "spin2/spin.toml"} {
		stdout, stderr, code := spinoci(t, "inspect", "--json", arg)
		var s Summary
		if err := json.Unmarshal([]byte(stdout), &s); code != ExitOK || err != nil || s.Path != manifest || s.Origin != OriginManifest {
			t.Errorf("inspect %s: exit %d, %v, path %q origin %q\n%s", arg, code, err, s.Path, s.Origin, stderr)
		}
	}
	t.Chdir(dir)
	if stdout, stderr, code := spinoci(t, "inspect", "--json", "."); code != ExitOK || !strings.Contains(stdout, `"origin": "spin.toml"`) {
		t.Errorf("inspect .: exit %d\n%s", code, stderr)
	}
	if err := os.Remove(manifest); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := spinoci(t, "inspect", "."); code != ExitFailure || stderr != "Error: . holds neither spin.toml nor spin.lock\n" {
		t.Errorf("inspect . without an app: exit %d\n%s", code, stderr)
	}
}
