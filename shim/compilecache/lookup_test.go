package compilecache

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
)

func TestHoldsCodeOf(t *testing.T) {
	app := digest.FromString("app wasm")
	other := digest.FromString("another wasm")
	for _, tc := range []struct {
		name  string
		files []string // in the cache
		want  bool
	}{
		{"no cache", nil, false},
		{"other wasm only", []string{other.Encoded() + "-0123456789abcdef.cwasm", other.Encoded() + "-0123456789abcdef.sum"}, false},
		{"code of the app", []string{other.Encoded() + "-0123456789abcdef.cwasm", app.Encoded() + "-fedcba9876543210.cwasm"}, true},
		{"only a checksum left", []string{app.Encoded() + "-fedcba9876543210.sum"}, false},
		{"a writer's temporary file", []string{tempPrefix + app.Encoded() + "-fedcba9876543210.cwasm"}, false},
		{"the digest without an engine configuration", []string{app.Encoded() + ".cwasm"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cache")
			if tc.files != nil {
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			for _, f := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := HoldsCodeOf(dir, []digest.Digest{app})
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("HoldsCodeOf = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHoldsCodeOfUnreadableCache(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := HoldsCodeOf(file, []digest.Digest{digest.FromString("x")}); err == nil {
		t.Error("HoldsCodeOf of a file: no error")
	}
}
