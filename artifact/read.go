package artifact

import (
	"context"
	"fmt"
	"io"

	// go-digest needs the hash implementations registered.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Size bounds for blobs read whole into memory.
const (
	maxManifestSize = 4 << 20  // manifests, indexes and image configs
	maxLockSize     = 16 << 20 // the lock (format A config or format B layer)
)

// readBlob reads the blob described by desc from p, refusing blobs larger
// than limit, and verifies its size and digest.
func readBlob(ctx context.Context, p content.Provider, desc ocispec.Descriptor, limit int64) ([]byte, error) {
	if err := desc.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("invalid digest %q: %w", desc.Digest, err)
	}
	if desc.Size < 0 {
		return nil, fmt.Errorf("blob %s: negative size %d", desc.Digest, desc.Size)
	}
	if desc.Size > limit {
		return nil, fmt.Errorf("blob %s: size %d exceeds the limit of %d bytes", desc.Digest, desc.Size, limit)
	}
	if len(desc.Data) > 0 {
		return verify(desc, desc.Data)
	}
	ra, err := p.ReaderAt(ctx, desc)
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", desc.Digest, err)
	}
	defer ra.Close()
	size := ra.Size()
	if size > limit {
		return nil, fmt.Errorf("blob %s: stored size %d exceeds the limit of %d bytes", desc.Digest, size, limit)
	}
	if desc.Size != 0 && size != desc.Size {
		return nil, fmt.Errorf("blob %s: stored size %d, descriptor says %d", desc.Digest, size, desc.Size)
	}
	data := make([]byte, size)
	if n, err := ra.ReadAt(data, 0); int64(n) != size {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("read blob %s: %w", desc.Digest, err)
	}
	return verify(desc, data)
}

// verify checks data against desc's digest (and size, when it is set).
func verify(desc ocispec.Descriptor, data []byte) ([]byte, error) {
	if desc.Size != 0 && int64(len(data)) != desc.Size {
		return nil, fmt.Errorf("blob %s: got %d bytes, descriptor says %d", desc.Digest, len(data), desc.Size)
	}
	if got := desc.Digest.Algorithm().FromBytes(data); got != desc.Digest {
		return nil, fmt.Errorf("blob %s: digest mismatch: content has digest %s", desc.Digest, got)
	}
	return data, nil
}

// verifyingReader streams a blob and fails at the end of it if the bytes
// read do not have the expected size and digest.
type verifyingReader struct {
	r        io.Reader
	closer   io.Closer
	expected digest.Digest
	size     int64
	n        int64
	verifier digest.Verifier
	err      error
}

func newVerifyingReader(ra content.ReaderAt, desc ocispec.Descriptor) *verifyingReader {
	return &verifyingReader{
		r:        io.NewSectionReader(ra, 0, ra.Size()),
		closer:   ra,
		expected: desc.Digest,
		size:     desc.Size,
		verifier: desc.Digest.Verifier(),
	}
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.n += int64(n)
	v.verifier.Write(p[:n]) // hash writers never fail
	if err == io.EOF {
		switch {
		case v.size != 0 && v.n != v.size:
			err = fmt.Errorf("blob %s: got %d bytes, descriptor says %d", v.expected, v.n, v.size)
		case !v.verifier.Verified():
			err = fmt.Errorf("blob %s: digest mismatch", v.expected)
		}
	}
	if err != nil {
		v.err = err
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.closer.Close() }
