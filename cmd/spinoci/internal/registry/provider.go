package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	orascontent "oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
)

// maxBuffered bounds a blob read into memory because its fetcher cannot
// read at offsets (a registry): manifests, locks and Wasm package modules.
const maxBuffered = 256 << 20

// Provider is a containerd content.Provider over an oras fetcher (the
// cache's blob store or a remote repository), for artifact.Load.
type Provider struct {
	Fetcher orascontent.Fetcher
}

var _ content.Provider = Provider{}

// ReaderAt implements content.Provider. Files are read in place; other
// streams are buffered. A missing blob gives an error wrapping containerd's
// errdefs.ErrNotFound.
func (p Provider) ReaderAt(ctx context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	rc, err := p.Fetcher.Fetch(ctx, desc)
	if err != nil {
		if errors.Is(err, errdef.ErrNotFound) {
			return nil, fmt.Errorf("%w: %w", errdefs.ErrNotFound, err)
		}
		return nil, err
	}
	if f, ok := rc.(*os.File); ok {
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		return fileReaderAt{File: f, size: fi.Size()}, nil
	}
	defer rc.Close()
	if desc.Size > maxBuffered {
		return nil, fmt.Errorf("blob %s is %d bytes, more than spinoci reads into memory (%d)", desc.Digest, desc.Size, maxBuffered)
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxBuffered+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", desc.Digest, err)
	}
	return bytesReaderAt{Reader: bytes.NewReader(data)}, nil
}

type fileReaderAt struct {
	*os.File
	size int64
}

func (f fileReaderAt) Size() int64 { return f.size }

type bytesReaderAt struct{ *bytes.Reader }

func (bytesReaderAt) Close() error { return nil }
