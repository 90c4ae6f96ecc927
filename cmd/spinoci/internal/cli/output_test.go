package cli

import (
	"regexp"
	"strings"
	"testing"
)

// TestQuietAndVerbose checks the info lines of push and pull, their
// humanised totals, --verbose's line per blob and --quiet's silence.
func TestQuietAndVerbose(t *testing.T) {
	_, host := startTestRegistry(t)
	dir := appDir(t, "spin1")
	ref := host + "/out/spin1:v1"

	stdout, stderr, code := spinoci(t, "push", "--plain-http", "--cache-dir", t.TempDir(), "--from", dir, "--annotation", created, "--verbose", ref)
	if code != ExitOK {
		t.Fatalf("push --verbose: exit %d\n%s", code, stderr)
	}
	// Files by their path in the app, the rest by kind, with sizes.
	for _, want := range []string{
		"pushed apps/hello.wasm (21 B, sha256:",
		"pushed static/index.html (",
		"pushed apps/spin-go.wasm (143 B, sha256:",
		"pushed spin.lock (",
		"pushed image config (",
		"pushed manifest (",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("push --verbose lacks %q:\n%s", want, stderr)
		}
	}
	total := regexp.MustCompile(`(?m)^Pushed ` + regexp.QuoteMeta(ref) + ` \(sha256:[0-9a-f]{64}\): 7 blobs \([0-9.]+ KiB\) sent$`)
	if !total.MatchString(stderr) {
		t.Errorf("push output lacks the total line %s:\n%s", total, stderr)
	}
	digest := stdout

	// Pushed again: everything is already there.
	stdout, stderr, code = spinoci(t, "push", "--plain-http", "--cache-dir", t.TempDir(), "--from", dir, "--annotation", created, "--verbose", ref)
	if code != ExitOK || stdout != digest || !strings.Contains(stderr, "already there: wasm layer (21 B, sha256:") ||
		!strings.Contains(stderr, "): 0 blobs (0 B) sent, 7 already there\n") {
		t.Errorf("second push: exit %d\n%s", code, stderr)
	}

	cache := t.TempDir()
	_, stderr, code = spinoci(t, "pull", "--plain-http", "--cache-dir", cache, "--verbose", ref)
	if code != ExitOK {
		t.Fatalf("pull --verbose: exit %d\n%s", code, stderr)
	}
	// Layers by component and file, from the lock.
	for _, want := range []string{"pulled component hello (21 B, sha256:", "pulled static/index.html (", "pulled component wagi-go (", "pulled spin.lock (", "pulled manifest ("} {
		if !strings.Contains(stderr, want) {
			t.Errorf("pull --verbose lacks %q:\n%s", want, stderr)
		}
	}
	if !regexp.MustCompile(`(?m)^Pulled .* into .*: 7 blobs \([0-9.]+ KiB\) fetched$`).MatchString(stderr) {
		t.Errorf("pull output lacks the total:\n%s", stderr)
	}

	for _, args := range [][]string{
		{"push", "--plain-http", "--cache-dir", t.TempDir(), "--from", dir, "--quiet", ref},
		{"pull", "--plain-http", "--cache-dir", t.TempDir(), "-q", ref},
	} {
		stdout, stderr, code := spinoci(t, args...)
		if code != ExitOK || stderr != "" || stdout == "" {
			t.Errorf("spinoci %v: exit %d, stdout %q, stderr %q; want the result alone", args, code, stdout, stderr)
		}
	}
	_, stderr, code = spinoci(t, "pull", "--quiet", "--verbose", ref)
	if code != ExitUsage || !strings.Contains(stderr, "[quiet verbose] were all set") {
		t.Errorf("--quiet --verbose: exit %d\n%s", code, stderr)
	}
}

func TestCompletion(t *testing.T) {
	stdout, stderr, code := spinoci(t, "completion", "bash")
	if code != ExitOK || !strings.Contains(stdout, "bash completion") || stderr != "" {
		t.Errorf("completion bash: exit %d\n%.200s\n%s", code, stdout, stderr)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", ""}, []string{"push\t", "pull\t", "inspect\t", "run\t", "login\t", "logout\t", "completion\t"}},
		{[]string{"__complete", "push", "--format", ""}, []string{"b\tSpin 2.0+", "a\tSpin 0.10-1.5", ":4"}},
		{[]string{"__complete", "login", ""}, []string{":4"}},
		{[]string{"__complete", "inspect", "--"}, []string{"--insecure", "--ca-file", "--plain-http", "--json", "--quiet", "--verbose"}},
	} {
		stdout, _, code := spinoci(t, tc.args...)
		for _, w := range tc.want {
			if code != ExitOK || !strings.Contains(stdout, w) {
				t.Errorf("spinoci %q: exit %d, want %q in\n%s", tc.args, code, w, stdout)
			}
		}
	}
}
