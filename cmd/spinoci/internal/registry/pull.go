package registry

import (
	"context"
	"fmt"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	orascontent "oras.land/oras-go/v2/content"
)

// Source is a registry repository (or anything that resolves references
// and serves content the same way).
type Source interface {
	orascontent.ReadOnlyStorage
	Resolve(ctx context.Context, reference string) (ocispec.Descriptor, error)
}

// Pull resolves reference in src and copies the image (the manifest, or
// the index and its manifests, and every blob they refer to) into the
// cache, skipping blobs already there. Progress bars go to progress when it
// is not nil. It returns the resolved root descriptor.
func (c *Cache) Pull(ctx context.Context, src Source, reference string, progress io.Writer) (ocispec.Descriptor, error) {
	desc, err := src.Resolve(ctx, reference)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("resolving %s: %w", reference, err)
	}
	opts := oras.DefaultCopyGraphOptions
	if progress != nil {
		opts.Concurrency = 1 // one bar at a time
	}
	dst := progressStorage{Storage: c.Blobs, pusher: WithProgress(c.Blobs, progress, "pull")}
	if err := oras.CopyGraph(ctx, src, dst, desc, opts); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("copying %s into the cache: %w", desc.Digest, err)
	}
	return desc, nil
}

type progressStorage struct {
	orascontent.Storage
	pusher Target
}

func (s progressStorage) Push(ctx context.Context, desc ocispec.Descriptor, r io.Reader) error {
	return s.pusher.Push(ctx, desc, r)
}
