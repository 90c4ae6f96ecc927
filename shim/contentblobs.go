package shim

import (
	"context"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// contentReader is the call of containerd's content service that
// contentBlobs makes (containerdapi.Client's).
type contentReader interface {
	ReadContent(ctx context.Context, dgst digest.Digest) (io.ReadCloser, error)
}

// contentBlobs streams blobs from containerd's content service for
// artifact.Load and the app directory: one Read call per blob, whatever its
// size (content.Provider's ReaderAt first asks for the blob's info, then
// makes one call per read buffer: several per lock, one per 32 KB of a wasm
// or data layer). A missing blob fails Open with an error wrapping
// errdefs.ErrNotFound, as artifact.BlobReader requires. The reader does not
// verify what it reads; its callers check sizes and digests.
type contentBlobs struct {
	client contentReader
}

// Open implements artifact.BlobReader.
func (b contentBlobs) Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	return b.client.ReadContent(ctx, desc.Digest)
}
