package cli

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/lock"
)

// docsPath is docs/cli.md from this package's directory.
const docsPath = "../../../../docs/cli.md"

// cliDocs renders the --help output of every command as docs/cli.md.
func cliDocs(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# spinoci command reference\n\n")
	b.WriteString("The `--help` output of every `spinoci` command, then the schema of [`inspect --json`](#inspect---json).\n")
	b.WriteString("Generated: `go test ./cmd/spinoci/internal/cli -run TestCLIDocs -update` rewrites this file (the schema comes from\n")
	b.WriteString("cmd/spinoci/internal/cli/testdata/inspect-json.md), and the same test fails when it no longer matches the binary.\n\n")
	b.WriteString("Exit codes: 0 success, 1 the command failed, 2 usage error (unknown command or flag, wrong arguments).\n")
	for _, cmd := range [][]string{nil, {"push"}, {"pull"}, {"inspect"}, {"run"}, {"login"}, {"logout"}, {"completion"}} {
		stdout, stderr, code := spinoci(t, append(cmd, "--help")...)
		if code != 0 || stderr != "" {
			t.Fatalf("spinoci %v --help: exit %d, stderr %q", cmd, code, stderr)
		}
		b.WriteString("\n## " + strings.Join(append([]string{"spinoci"}, cmd...), " ") + "\n\n```text\n")
		b.WriteString(strings.TrimRight(stdout, "\n") + "\n```\n")
	}
	schema, err := os.ReadFile(inspectJSONDoc)
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString("\n")
	b.Write(schema)
	return b.String()
}

// inspectJSONDoc documents the `inspect --json` schema; it ends docs/cli.md.
const inspectJSONDoc = "testdata/inspect-json.md"

// TestInspectJSONDocumented checks that the schema's documentation names
// every field and enumeration value of the JSON.
func TestInspectJSONDocumented(t *testing.T) {
	doc, err := os.ReadFile(inspectJSONDoc)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range []any{Summary{}, Variable{}, Component{}, Trigger{}, File{}, Blob{}, Layer{}} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			if name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ","); name != "" {
				names = append(names, name)
			}
		}
	}
	names = append(names, OriginRegistry, OriginManifest, OriginLock, LayoutSpinA, LayoutSpinB, LayoutWasmPackage,
		kindWasm, kindData, kindArchive, kindLock, kindOther, lock.ExecutorSpin, lock.ExecutorWagi)
	for _, name := range names {
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("%s does not document `%s`", inspectJSONDoc, name)
		}
	}
	if !strings.Contains(string(doc), fmt.Sprintf("`schema_version` is `%d`", SchemaVersion)) {
		t.Errorf("%s does not give schema version %d", inspectJSONDoc, SchemaVersion)
	}
}

func TestCLIDocs(t *testing.T) {
	got := cliDocs(t)
	if *update {
		if err := os.WriteFile(docsPath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("docs/cli.md does not match `spinoci --help`; run go test ./cmd/spinoci/internal/cli -run TestCLIDocs -update\n--- generated:\n%s", got)
	}
}

// TestHelpHasExamples makes sure every command documents examples.
func TestHelpHasExamples(t *testing.T) {
	for _, cmd := range []string{"push", "pull", "inspect", "run", "login", "logout"} {
		stdout, _, code := spinoci(t, cmd, "--help")
		if code != 0 || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "spinoci "+cmd) {
			t.Errorf("spinoci %s --help (exit %d) lacks examples:\n%s", cmd, code, stdout)
		}
	}
}
