package shim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/spinoci/spinoci/artifact"
)

// oneBlobProvider is a content.Provider holding one blob.
type oneBlobProvider struct {
	data   []byte
	closed *bool
}

func (p oneBlobProvider) ReaderAt(_ context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	if desc.Digest != digest.FromBytes(p.data) {
		return nil, fmt.Errorf("content %s: %w", desc.Digest, errdefs.ErrNotFound)
	}
	return blobReaderAt{Reader: bytes.NewReader(p.data), closed: p.closed}, nil
}

type blobReaderAt struct {
	*bytes.Reader
	closed *bool
}

func (r blobReaderAt) Close() error {
	*r.closed = true
	return nil
}

func TestContentBlobs(t *testing.T) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("spin "), 10000)
	closed := false
	var r artifact.BlobReader = contentBlobs{oneBlobProvider{data: data, closed: &closed}}

	rc, err := r.Open(ctx, ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("read %d bytes (%v), want the %d-byte blob", len(got), err, len(data))
	}
	if err := rc.Close(); err != nil || !closed {
		t.Errorf("Close = %v, closed the content reader: %v", err, closed)
	}

	if _, err := r.Open(ctx, ocispec.Descriptor{Digest: digest.FromString("missing"), Size: 7}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("missing blob: %v, want errdefs.ErrNotFound", err)
	}
}
