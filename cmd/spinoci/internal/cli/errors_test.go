package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/cmd/internal/buildinfo"
	"github.com/spinoci/spinoci/engine"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestErrors checks exit codes and that each message names the problem
// (file, line and key for manifests).
func TestErrors(t *testing.T) {
	_, host := startTestRegistry(t)
	bad := func(toml string) string {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "spin.toml"), toml)
		return dir
	}
	head := "spin_manifest_version = \"1\"\nname = \"x\"\ntrigger = { type = \"http\" }\n"
	missingWasm := bad(head + "[[component]]\nid = \"a\"\nsource = \"target/a.wasm\"\n[component.trigger]\nroute = \"/...\"\n")
	badTOML := bad(head + "[[component]\nid = \"a\"\n")
	unknownVersion := bad("spin_manifest_version = 3\n[application]\nname = \"x\"\n")
	spin1 := appDir(t, "spin1")
	missingFile := filepath.Join(t.TempDir(), "spin1")
	if err := os.CopyFS(missingFile, os.DirFS(spin1)); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(missingFile, "assets")); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()

	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{name: "missing wasm", args: []string{"push", "--from", missingWasm, host + "/x:v1"}, code: 1,
			want: []string{filepath.Join(missingWasm, "spin.toml") + ":6: component[0].source: wasm file \"target/a.wasm\" not found"}},
		{name: "missing files directory", args: []string{"push", "--from", missingFile, host + "/x:v1"}, code: 1,
			want: []string{"spin.toml:19: component[0].files[1].source: \"assets\" not found"}},
		{name: "bad TOML", args: []string{"push", "--from", badTOML, host + "/x:v1"}, code: 1,
			want: []string{"spin.toml:4:"}},
		{name: "unknown manifest version", args: []string{"push", "--from", unknownVersion, host + "/x:v1"}, code: 1,
			want: []string{"spin.toml:1: spin_manifest_version: unknown manifest version 3"}},
		{name: "no manifest", args: []string{"push", "--from", t.TempDir(), host + "/x:v1"}, code: 1,
			want: []string{"spin.toml does not exist"}},
		{name: "unreachable registry", args: []string{"push", "--from", spin1, "127.0.0.1:1/x:v1"}, code: 1,
			want: []string{"pushing to 127.0.0.1:1/x:v1", "connection refused"}},
		{name: "pull unknown tag", args: []string{"pull", host + "/nope:v1"}, code: 1,
			want: []string{"pulling " + host + "/nope:v1", "not found"}},
		{name: "inspect unreachable", args: []string{"inspect", "127.0.0.1:1/x:v1"}, code: 1,
			want: []string{"resolving 127.0.0.1:1/x:v1", "connection refused"}},
		{name: "run a directory without an app", args: []string{"run", t.TempDir()}, code: 1,
			want: []string{"holds neither spin.toml nor spin.lock"}},
		{name: "no argument", args: []string{"push"}, code: 2, want: []string{"accepts 1 arg(s), received 0", "Run 'spinoci push --help' for usage."}},
		{name: "unknown flag", args: []string{"pull", "--nope", "x/y:z"}, code: 2, want: []string{"unknown flag: --nope"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, want: []string{"unknown command \"frobnicate\""}},
		{name: "bad format", args: []string{"push", "--format", "c", "--from", spin1, host + "/x:v1"}, code: 2, want: []string{"--format \"c\": want a or b"}},
		{name: "bad annotation", args: []string{"push", "--annotation", "novalue", "--from", spin1, host + "/x:v1"}, code: 2, want: []string{"--annotation \"novalue\": want KEY=VALUE"}},
		{name: "push to a digest", args: []string{"push", "--from", spin1, host + "/x@sha256:" + strings.Repeat("0", 64)}, code: 2, want: []string{"give a tag, not a digest"}},
		{name: "output not empty", args: []string{"pull", "--output", spin1, host + "/x:v1"}, code: 2, want: []string{"directory exists and is not empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--cache-dir", cache}, tc.args...)
			if tc.args[0] != "frobnicate" {
				args = append(args, "--plain-http")
			}
			start := time.Now()
			stdout, stderr, code := spinoci(t, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tc.code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, stderr)
				}
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestVersionNamesReleaseCommitAndWasmtime(t *testing.T) {
	stdout, stderr, code := spinoci(t, "--version")
	if code != ExitOK {
		t.Fatalf("spinoci --version: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"spinoci " + buildinfo.Version() + "\n", "commit: ", "wasmtime: " + engine.WasmtimeVersion + "\n", "go: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("spinoci --version printed %q, want it to contain %q", stdout, want)
		}
	}
}
