package appdir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
)

// ErrBlobNotFound is wrapped by Blobs.Open when it has no blob for a digest.
var ErrBlobNotFound = errors.New("blob not found")

// ErrDigestMismatch is wrapped by Materialize when content does not hash to
// the digest the lock gives for it.
var ErrDigestMismatch = errors.New("digest mismatch")

// Blobs gives content by digest, typically the layers of an OCI artifact.
// Open must return an error wrapping ErrBlobNotFound when it does not hold d,
// so Materialize can fall back to archives. Callers verify what they read;
// implementations need not.
type Blobs interface {
	Open(ctx context.Context, d digest.Digest) (io.ReadCloser, error)
}

// Content is where a lock's digests are resolved: Blobs directly, or a
// regular file inside one of the Archives (tar+gzip blobs held by Blobs, whose
// files are addressed by the sha256 of their bytes, not by entry name).
type Content struct {
	Blobs    Blobs
	Archives []digest.Digest
	// MaxUnpackedSize bounds the total decompressed size of all archives
	// unpacked by one Materialize call; 0 means DefaultMaxUnpackedSize.
	MaxUnpackedSize int64
	// Store, when set, keeps each file once per node: the app directory's
	// files are read-only hard links to its entries (see Store).
	Store *Store
	// LinkFrom, with Store, is a directory holding blobs as read-only
	// files named <algorithm>/<encoded digest>, as containerd's local
	// content store keeps them (its blobs directory): an entry the store
	// lacks is made a hard link to the file there, once its bytes are
	// verified, instead of a copy of what Blobs reads. Where that cannot
	// be (no such file, one of another mode, on another filesystem or
	// with other bytes), the entry is copied.
	LinkFrom string
}

// DefaultMaxUnpackedSize is the archive unpacking limit used when
// Content.MaxUnpackedSize is 0.
const DefaultMaxUnpackedSize int64 = 4 << 30

// MapBlobs is an in-memory Blobs, handy for tests and small tools.
type MapBlobs map[digest.Digest][]byte

// Open implements Blobs.
func (m MapBlobs) Open(_ context.Context, d digest.Digest) (io.ReadCloser, error) {
	b, ok := m[d]
	if !ok {
		return nil, fmt.Errorf("%s: %w", d, ErrBlobNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}
