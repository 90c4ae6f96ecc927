package appdir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCopyPathCreatesDirsAndReplaces(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "a", "b", "dst")
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, []byte("older and longer"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CopyPath(dst, src); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dst)
	if err != nil || string(got) != "new" {
		t.Fatalf("dst = %q, %v; want %q", got, err, "new")
	}
	if err := CopyPath(filepath.Join(dir, "x", "y"), filepath.Join(dir, "missing")); err == nil {
		t.Error("copying a missing file succeeded")
	}
}
