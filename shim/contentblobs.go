package shim

import (
	"context"
	"errors"
	"fmt"
	"io"

	contentapi "github.com/containerd/containerd/api/services/content/v1"
	"github.com/containerd/errdefs/pkg/errgrpc"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/grpc"
)

// contentReader is the call of containerd's content service that
// contentBlobs makes.
type contentReader interface {
	Read(ctx context.Context, in *contentapi.ReadContentRequest, opts ...grpc.CallOption) (contentapi.Content_ReadClient, error)
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
	ctx, cancel := context.WithCancel(ctx)
	stream, err := b.client.Read(ctx, &contentapi.ReadContentRequest{Digest: desc.Digest.String()})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("content %s: %w", desc.Digest, errgrpc.ToNative(err))
	}
	// The server's answer to a missing blob is the stream's first message.
	first, err := stream.Recv()
	if err != nil && !errors.Is(err, io.EOF) {
		cancel()
		return nil, fmt.Errorf("content %s: %w", desc.Digest, errgrpc.ToNative(err))
	}
	return &contentStream{stream: stream, buf: first.GetData(), eof: err != nil, cancel: cancel}, nil
}

// contentStream reads one blob's Read stream.
type contentStream struct {
	stream contentapi.Content_ReadClient
	buf    []byte // the rest of the last message
	eof    bool
	cancel context.CancelFunc
}

func (r *contentStream) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.eof {
			return 0, io.EOF
		}
		msg, err := r.stream.Recv()
		if errors.Is(err, io.EOF) {
			r.eof = true
			return 0, io.EOF
		}
		if err != nil {
			return 0, errgrpc.ToNative(err)
		}
		r.buf = msg.GetData()
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// Close ends the call.
func (r *contentStream) Close() error {
	r.cancel()
	return nil
}
