package shim

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestSameBuild: the shim runs an app binary only if it is an executable
// from the same build as itself.
func TestSameBuild(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	same := filepath.Join(dir, "same")
	if err := os.WriteFile(same, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := sameBuild(same); err != nil {
		t.Errorf("a copy of this binary: %v", err)
	}
	if err := sameBuild(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing binary: %v, want ErrNotExist", err)
	}
	notExec := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExec, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := sameBuild(notExec); err == nil {
		t.Error("a file without execute permission was accepted")
	}
	script := filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := sameBuild(script); err == nil {
		t.Error("a file that is not a Go binary was accepted")
	}
}
