package cli

import (
	"os"
	"strings"
	"testing"
)

// docsPath is docs/cli.md from this package's directory.
const docsPath = "../../../../docs/cli.md"

// cliDocs renders the --help output of every command as docs/cli.md.
func cliDocs(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# spinoci command reference\n\n")
	b.WriteString("The `--help` output of every `spinoci` command. Generated: `go test ./cmd/spinoci/internal/cli -run TestCLIDocs -update`\n")
	b.WriteString("rewrites this file, and the same test fails when it no longer matches the binary.\n\n")
	b.WriteString("Exit codes: 0 success, 1 the command failed, 2 usage error (unknown command or flag, wrong arguments).\n")
	for _, cmd := range [][]string{nil, {"push"}, {"pull"}, {"inspect"}, {"run"}} {
		stdout, stderr, code := spinoci(t, append(cmd, "--help")...)
		if code != 0 || stderr != "" {
			t.Fatalf("spinoci %v --help: exit %d, stderr %q", cmd, code, stderr)
		}
		b.WriteString("\n## " + strings.Join(append([]string{"spinoci"}, cmd...), " ") + "\n\n```text\n")
		b.WriteString(strings.TrimRight(stdout, "\n") + "\n```\n")
	}
	return b.String()
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
	for _, cmd := range []string{"push", "pull", "inspect", "run"} {
		stdout, _, code := spinoci(t, cmd, "--help")
		if code != 0 || !strings.Contains(stdout, "Examples:") || !strings.Contains(stdout, "spinoci "+cmd) {
			t.Errorf("spinoci %s --help (exit %d) lacks examples:\n%s", cmd, code, stdout)
		}
	}
}
