package appdir

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/spinoci/spinoci/lock"
)

// ErrNotMaterialized is wrapped by WasmPath, Mounts and FromLocal when the
// lock still refers to content by digest or inline bytes instead of file://
// URIs.
var ErrNotMaterialized = errors.New("lock is not materialised (content is not on disk; use Materialize)")

// Mount is a host file or directory to expose to a component at GuestPath.
type Mount struct {
	HostPath  string
	GuestPath string
}

// WasmPath returns the local path of the component's wasm, from the file://
// URI in source.source of a local lock.
func WasmPath(c *lock.Component) (string, error) {
	if c.Source.Source == "" {
		return "", fmt.Errorf("lock: component %q: source has no URI: %w", c.ID, ErrNotMaterialized)
	}
	p, err := FilePathFromURI(c.Source.Source)
	if err != nil {
		return "", fmt.Errorf("lock: component %q: source: %w", c.ID, err)
	}
	return p, nil
}

// Mounts returns the component's files entries of a local lock: each source
// is a file:// URI of a directory or a single file, mounted at the entry's
// path, which is passed through as given.
func Mounts(c *lock.Component) ([]Mount, error) {
	out := make([]Mount, 0, len(c.Files))
	for _, f := range c.Files {
		if f.Source == "" {
			return nil, fmt.Errorf("lock: component %q: file %q has no source URI: %w", c.ID, f.Path, ErrNotMaterialized)
		}
		p, err := FilePathFromURI(f.Source)
		if err != nil {
			return nil, fmt.Errorf("lock: component %q: file %q: %w", c.ID, f.Path, err)
		}
		out = append(out, Mount{HostPath: p, GuestPath: f.Path})
	}
	return out, nil
}

// FilePathFromURI converts an absolute file:// URI (host empty or
// "localhost") to a local path.
func FilePathFromURI(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", fmt.Errorf("source URI %q: %w", uri, err)
	}
	if u.Scheme != "file" {
		return "", fmt.Errorf("source URI %q is not a file:// URI", uri)
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("source URI %q names a remote host", uri)
	}
	if u.Opaque != "" || !filepath.IsAbs(filepath.FromSlash(u.Path)) {
		return "", fmt.Errorf("source URI %q is not an absolute path", uri)
	}
	return filepath.FromSlash(u.Path), nil
}

// FileURI returns the file:// URI of the absolute path p.
func FileURI(p string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}
