package registry

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	orascontent "oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
)

// BlobReader streams blobs from an oras fetcher (the cache's blob store or
// a remote repository) for artifact.Load: it is an artifact.BlobReader.
type BlobReader struct {
	Fetcher orascontent.Fetcher
}

// Open streams the blob desc. A missing blob gives an error wrapping
// containerd's errdefs.ErrNotFound, as artifact.BlobReader requires.
func (r BlobReader) Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	rc, err := r.Fetcher.Fetch(ctx, desc)
	if err != nil {
		if errors.Is(err, errdef.ErrNotFound) {
			return nil, fmt.Errorf("%w: %w", errdefs.ErrNotFound, err)
		}
		return nil, err
	}
	return rc, nil
}
