package artifact

import (
	"context"
	"fmt"
	"io"

	// go-digest needs the hash implementations registered.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// BlobReader streams the blobs of an image: manifests, configs and layers.
// Open must return an error wrapping errdefs.ErrNotFound (package
// github.com/containerd/errdefs) when it does not hold the blob; it need not
// verify what it returns, Load does.
type BlobReader interface {
	Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error)
}

// Size bounds for blobs read whole into memory.
const (
	maxManifestSize = 4 << 20  // manifests, indexes and image configs
	maxLockSize     = 16 << 20 // the lock (format A config or format B layer)
)

// readBlob reads the blob described by desc from r, refusing blobs larger
// than limit, and verifies its size and digest.
func readBlob(ctx context.Context, r BlobReader, desc ocispec.Descriptor, limit int64) ([]byte, error) {
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
	rc, err := r.Open(ctx, desc)
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", desc.Digest, err)
	}
	defer rc.Close()
	// One byte past what may be read tells a longer blob from an exact one.
	readLimit := limit
	if desc.Size != 0 {
		readLimit = desc.Size
	}
	data, err := io.ReadAll(io.LimitReader(rc, readLimit+1))
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", desc.Digest, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("blob %s: stored size exceeds the limit of %d bytes", desc.Digest, limit)
	}
	return verify(desc, data)
}

// verify checks data against desc's digest (and size, when it is set).
func verify(desc ocispec.Descriptor, data []byte) ([]byte, error) {
	if desc.Size != 0 && int64(len(data)) != desc.Size {
		return nil, fmt.Errorf("blob %s: size differs from the %d bytes its descriptor says", desc.Digest, desc.Size)
	}
	if got := desc.Digest.Algorithm().FromBytes(data); got != desc.Digest {
		return nil, fmt.Errorf("blob %s: digest mismatch: content has digest %s", desc.Digest, got)
	}
	return data, nil
}

// verifyingReader streams a blob and fails as soon as it is longer than
// expected, or at its end if the bytes read do not have the expected size
// and digest.
type verifyingReader struct {
	rc       io.ReadCloser
	expected digest.Digest
	size     int64
	n        int64
	verifier digest.Verifier
	err      error
}

func newVerifyingReader(rc io.ReadCloser, desc ocispec.Descriptor) *verifyingReader {
	return &verifyingReader{rc: rc, expected: desc.Digest, size: desc.Size, verifier: desc.Digest.Verifier()}
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.rc.Read(p)
	v.n += int64(n)
	v.verifier.Write(p[:n]) // hash writers never fail
	switch {
	case v.size != 0 && v.n > v.size:
		err = fmt.Errorf("blob %s: more than the %d bytes the descriptor says", v.expected, v.size)
	case err == io.EOF && v.size != 0 && v.n != v.size:
		err = fmt.Errorf("blob %s: got %d bytes, descriptor says %d", v.expected, v.n, v.size)
	case err == io.EOF && !v.verifier.Verified():
		err = fmt.Errorf("blob %s: digest mismatch", v.expected)
	}
	if err != nil {
		v.err = err
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.rc.Close() }
