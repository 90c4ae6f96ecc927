package lock

import (
	"bytes"
	"path"
	"path/filepath"
	"testing"
)

// FuzzCheckFilePath: every accepted path is local and already clean, so
// joining it under a directory can never leave that directory.
func FuzzCheckFilePath(f *testing.F) {
	for _, s := range []string{"a", "a/b.txt", "../x", "/abs", "a/./b", "a//b", "", ".", "a/..", `a\b`, "..a/b..", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if CheckFilePath(p) != nil {
			return
		}
		if !filepath.IsLocal(p) || path.Clean(p) != p || p == "." {
			t.Errorf("CheckFilePath accepted %q", p)
		}
	})
}

// FuzzDecodeInline: whatever decodes re-encodes to the same text (strict,
// canonical), and never panics.
func FuzzDecodeInline(f *testing.F) {
	for _, s := range []string{"", "aGk", "aGk=", "aGl", "+/8", "-_8", "a\nb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeInline(s)
		if err != nil {
			return
		}
		if EncodeInline(b) != s {
			t.Errorf("DecodeInline(%q) = %q, which encodes to %q", s, b, EncodeInline(b))
		}
		if b2, _ := DecodeInline(EncodeInline(b)); !bytes.Equal(b, b2) {
			t.Errorf("round trip mismatch for %q", s)
		}
	})
}
