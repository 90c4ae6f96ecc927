package registry

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	"oras.land/oras-go/v2/content/oci"
)

// Cache is spinoci's local cache directory:
//
//	<root>/oci/blobs/sha256/<hex>  every pulled blob (an OCI layout's blob store; verified on write)
//	<root>/apps/<hex>/             apps materialised from manifest <hex> (spin.lock, wasm/, files/)
//	<root>/modules/                compiled wasm modules (the engine's cache)
type Cache struct {
	Root  string
	Blobs *oci.Storage
}

// DefaultCacheDir is $XDG_CACHE_HOME/spinoci, or ~/.cache/spinoci.
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory (set --cache-dir): %w", err)
	}
	return filepath.Join(dir, "spinoci"), nil
}

// OpenCache opens (creating it if needed) the cache at root.
func OpenCache(root string) (*Cache, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("cache directory %s: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("creating cache directory: %w", err)
	}
	blobs, err := oci.NewStorage(filepath.Join(abs, "oci"))
	if err != nil {
		return nil, fmt.Errorf("opening cache %s: %w", abs, err)
	}
	return &Cache{Root: abs, Blobs: blobs}, nil
}

// BlobPath returns the path of a cached blob, if it is cached.
func (c *Cache) BlobPath(d digest.Digest) (string, bool) {
	if d.Validate() != nil {
		return "", false
	}
	p := filepath.Join(c.Root, "oci", "blobs", d.Algorithm().String(), d.Encoded())
	fi, err := os.Stat(p)
	return p, err == nil && fi.Mode().IsRegular()
}

// AppDir is where the app of manifest d is materialised.
func (c *Cache) AppDir(d digest.Digest) string {
	return filepath.Join(c.Root, "apps", d.Encoded())
}

// ModulesDir holds compiled modules.
func (c *Cache) ModulesDir() string { return filepath.Join(c.Root, "modules") }

// StateDir holds the persistent state (key-value stores) of apps run from
// manifest d.
func (c *Cache) StateDir(d digest.Digest) string {
	return filepath.Join(c.Root, "state", d.Encoded())
}
