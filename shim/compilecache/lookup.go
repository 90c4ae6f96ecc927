package compilecache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/opencontainers/go-digest"
)

// HoldsCodeOf reports whether the cache in dir holds compiled code of any
// of wasms (sha256 digests of wasm binaries), of any engine configuration
// or tier: app processes name an entry's code "<wasm sha256 hex>-<engine
// configuration>.cwasm". A missing cache holds nothing. It says nothing
// about whether that code is usable (a newer engine needs its own).
func HoldsCodeOf(dir string, wasms []digest.Digest) (bool, error) {
	want := make(map[string]bool, len(wasms))
	for _, d := range wasms {
		want[d.Encoded()] = true
	}
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading compile cache %s: %w", dir, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return false, fmt.Errorf("reading compile cache %s: %w", dir, err)
	}
	for _, name := range names {
		key, ok := strings.CutSuffix(name, codeSuffix)
		if !ok {
			continue
		}
		if wasm, _, ok := strings.Cut(key, "-"); ok && want[wasm] {
			return true, nil
		}
	}
	return false, nil
}
