package shim

import (
	"context"
	"io"

	"github.com/containerd/containerd/v2/core/content"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// contentBlobs streams blobs from a containerd content store for
// artifact.Load. A missing blob gives the store's error, which wraps
// errdefs.ErrNotFound as artifact.BlobReader requires.
type contentBlobs struct {
	p content.Provider
}

// Open implements artifact.BlobReader.
func (b contentBlobs) Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	ra, err := b.p.ReaderAt(ctx, desc)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{content.NewReader(ra), ra}, nil
}
