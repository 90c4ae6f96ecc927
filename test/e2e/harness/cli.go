package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// CLI returns the spinoci binary (SPINOCI_CLI; default bin/spinoci, built
// by `make build` or `make spinoci`).
func (p Paths) CLI() string {
	if v := os.Getenv("SPINOCI_CLI"); v != "" {
		if abs, err := filepath.Abs(v); err == nil {
			return abs
		}
		return v
	}
	return filepath.Join(RepoRoot(), "bin", "spinoci")
}

// SpinociPush runs `spinoci push --plain-http --from from ref` (plus extra
// arguments) with cacheDir as its cache, and returns the manifest digest it
// prints. The error carries spinoci's stderr.
func SpinociPush(ctx context.Context, cli, from, ref, cacheDir string, extra ...string) (string, error) {
	args := append([]string{"push", "--plain-http", "--cache-dir", cacheDir, "--from", from, ref}, extra...)
	cmd := exec.CommandContext(ctx, cli, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("spinoci %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}
