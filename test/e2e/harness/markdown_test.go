package harness

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteMarkdownSections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.md")
	if err := os.WriteFile(path, []byte("# B\n\nold intro\n\n## Start\n\nold start\n\n## Components\n\ncomp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdownSections(path, "# B\n\nnew intro\n\n## Machine\n\nm\n\n## Start\n\nnew start\n"); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# B\n\nnew intro\n\n## Start\n\nnew start\n\n## Components\n\ncomp\n\n## Machine\n\nm\n"
	if string(got) != want {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
	// A section-only update keeps the preamble and the other sections.
	if err := WriteMarkdownSections(path, "## Components\n\ncomp 2\n"); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(path)
	want = "# B\n\nnew intro\n\n## Start\n\nnew start\n\n## Components\n\ncomp 2\n\n## Machine\n\nm\n"
	if string(got) != want {
		t.Errorf("got:\n%q\nwant:\n%q", got, want)
	}
}
