package registry

import (
	"context"
	"fmt"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	orascontent "oras.land/oras-go/v2/content"
)

// Pull copies the image at desc (the manifest, or the index and its
// manifests, and every blob they refer to) from src into the cache,
// skipping blobs already there. rep, when not nil, reports each blob.
func (c *Cache) Pull(ctx context.Context, src orascontent.ReadOnlyStorage, desc ocispec.Descriptor, rep *Reporter) error {
	opts := oras.DefaultCopyGraphOptions
	var dst orascontent.Storage = c.Blobs
	if rep != nil {
		if rep.Bars != nil {
			opts.Concurrency = 1 // one bar at a time
		}
		dst = reportingStorage{Storage: c.Blobs, target: rep.Wrap(c.Blobs)}
	}
	if err := oras.CopyGraph(ctx, src, dst, desc, opts); err != nil {
		return fmt.Errorf("copying %s into the cache: %w", desc.Digest, err)
	}
	return nil
}

// reportingStorage is the cache's blob store with pushes and existence
// checks going through a Reporter.
type reportingStorage struct {
	orascontent.Storage
	target Target
}

func (s reportingStorage) Push(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	return s.target.Push(ctx, desc, r)
}

func (s reportingStorage) Exists(ctx context.Context, desc ocispec.Descriptor) (bool, error) {
	return s.target.Exists(ctx, desc)
}
