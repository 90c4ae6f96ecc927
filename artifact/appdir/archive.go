package appdir

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"

	"github.com/opencontainers/go-digest"
)

// ErrArchiveTooLarge is wrapped when unpacking archives would exceed
// Content.MaxUnpackedSize.
var ErrArchiveTooLarge = errors.New("archive unpacked size exceeds the limit")

// archiveIndex unpacks archive blobs lazily, one at a time and each at most
// once, into a scratch directory, and indexes their regular files by the
// sha256 of their bytes. Entry names are never used as paths: Spin finds
// archived files by digest, and ignoring names removes any path traversal.
type archiveIndex struct {
	blobs    Blobs
	archives []digest.Digest // not yet unpacked ones start at next
	next     int
	root     *os.Root
	dir      string // scratch directory inside root
	limit    int64  // budget for decompressed tar bytes and for written bytes
	streamed int64
	written  int64
	seq      int
	files    map[digest.Digest]string // content digest → path inside root
}

// lookup returns the root-relative path of a file with digest d, unpacking
// further archives until it is found. It wraps ErrBlobNotFound when no
// archive holds it.
func (x *archiveIndex) lookup(ctx context.Context, d digest.Digest) (string, error) {
	for {
		if p, ok := x.files[d]; ok {
			return p, nil
		}
		if x.next >= len(x.archives) {
			return "", fmt.Errorf("%s: %w", d, ErrBlobNotFound)
		}
		a := x.archives[x.next]
		x.next++
		if err := x.unpack(ctx, a); err != nil {
			switch {
			case errors.Is(err, ErrBlobNotFound):
				// A listed archive that is missing is a broken artifact,
				// not a missing file: do not let it read as "not found".
				return "", fmt.Errorf("archive %s is listed but cannot be opened: %v", a, err)
			case errors.Is(err, ErrArchiveTooLarge):
				return "", fmt.Errorf("archive %s: %w (limit %d bytes)", a, err, x.limit)
			}
			return "", fmt.Errorf("archive %s: %w", a, err)
		}
	}
}

func (x *archiveIndex) unpack(ctx context.Context, a digest.Digest) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if x.blobs == nil {
		return ErrBlobNotFound
	}
	if x.seq == 0 {
		if err := x.root.Mkdir(x.dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	rc, err := x.blobs.Open(ctx, a)
	if err != nil {
		return err
	}
	defer rc.Close()

	// Hash the raw blob as it is read so the archive itself is verified.
	h := a.Algorithm().Hash()
	raw := io.TeeReader(ctxReader{ctx: ctx, r: rc}, h)
	zr, err := gzip.NewReader(raw)
	if err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	defer zr.Close()
	stream := &boundedReader{r: zr, left: x.limit - x.streamed}
	tr := tar.NewReader(stream)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("tar: %w", err)
		}
		// Only regular files carry content Spin refers to. Links, devices,
		// directories and sparse files are skipped: we never create them, so
		// they cannot redirect a write.
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		if err := x.extract(tr, hdr.Name); err != nil {
			return err
		}
	}
	x.streamed += stream.read
	// Read what the tar reader left (end padding) so the digest covers the
	// whole blob.
	if _, err := io.Copy(io.Discard, raw); err != nil {
		return err
	}
	if got := digest.NewDigest(a.Algorithm(), h); got != a {
		return fmt.Errorf("%w: expected %s got %s", ErrDigestMismatch, a, got)
	}
	return nil
}

// extract copies one tar entry into the scratch directory under a generated
// name and indexes it.
func (x *archiveIndex) extract(r io.Reader, name string) error {
	x.seq++
	p := path.Join(x.dir, strconv.Itoa(x.seq))
	f, err := x.root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	// Bounded separately from the stream: sparse-style entries could
	// expand beyond the decompressed size.
	body := &boundedReader{r: r, left: x.limit - x.written}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), body)
	x.written += body.read
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("entry %q: %w", name, err)
	}
	d := digest.NewDigest(digest.SHA256, h)
	if _, dup := x.files[d]; dup {
		return x.root.Remove(p)
	}
	x.files[d] = p
	return nil
}

// boundedReader fails with ErrArchiveTooLarge once more than left bytes
// would be read.
type boundedReader struct {
	r    io.Reader
	left int64
	read int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.read >= b.left {
		// Probe: EOF right at the limit is fine, more data is not.
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, ErrArchiveTooLarge
		}
		return 0, err
	}
	if rest := b.left - b.read; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}
