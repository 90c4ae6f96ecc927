package appdir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"

	"github.com/spinoci/spinoci/lock"
)

// Store is a node-wide, digest-addressed file store: each content is kept
// once, as DIR/<algorithm>/<encoded digest>, read-only (mode 0444). An entry
// is made once: a link to the blob's read-only file in containerd's content
// store where there is one (Content.LinkFrom; see linkTemp), else written
// to a temporary file; either is verified against the digest (a written one
// also synced) before it gets its name, so an entry's name is a promise that
// its bytes match. With Content.Store set, Materialize makes the files of an
// app directory hard links to entries instead of copies: replicas of an app,
// and apps sharing files, share one copy on disk, and a repeat start copies
// nothing. Collect removes the entries nothing links to any more: no app
// directory, nor containerd's content store.
//
// The store must be on the app directories' filesystem (hard links do not
// cross filesystems); when it is not, Materialize copies, as without a
// store. Only the shim writes here: app processes see entries only through
// their app directory, mounted read-only.
type Store struct {
	dir string
}

// storeTempPrefix names files being written; Collect skips young ones.
const storeTempPrefix = ".tmp-"

// NewStore returns the store in dir, which is created (mode 0700: nobody
// but its owner needs to find entries by digest) when the first entry is
// written.
func NewStore(dir string) *Store { return &Store{dir: dir} }

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// entryPath is where the content with digest d lives. d must be valid (its
// encoded part then holds only hex digits or the like: no path separators).
func (s *Store) entryPath(d digest.Digest) string {
	return filepath.Join(s.dir, d.Algorithm().String(), d.Encoded())
}

// errCrossDevice is returned by link when the store and the target
// directory are on different filesystems.
var errCrossDevice = errors.New("the file store and the app directory are on different filesystems")

// errTooManyLinks is returned by link when the entry has as many links as
// its filesystem allows (ext4: 65,000): the file is then copied.
var errTooManyLinks = errors.New("the file store entry has too many links")

// maxLinkAttempts bounds how often link retries when a concurrent Collect
// (in another shim) removes the entry it is about to link.
const maxLinkAttempts = 3

// link creates name in dir as a hard link to the entry for d, making the
// entry first when the store lacks it: a link to d's file in the blob
// directory named by from (Content.LinkFrom), else a copy of what open
// reads; verified either way. name must be a
// single path component; dir was opened confined to the app directory, and
// linkat never follows a symlink at name (an existing name fails with an
// error wrapping fs.ErrExist), so nothing is created outside it. It returns
// errCrossDevice when dir is on another filesystem, having created nothing
// in dir.
func (s *Store) link(ctx context.Context, d digest.Digest, dir *os.File, name, from string, open func() (io.ReadCloser, error)) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("digest %q: %w", d, err)
	}
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("%q is not a file name", name)
	}
	entry := s.entryPath(d)
	var tmp string
	defer func() {
		if tmp != "" {
			_ = os.Remove(tmp)
		}
	}()
	for attempt := 1; ; attempt++ {
		src := entry
		if attempt > maxLinkAttempts {
			// The entry keeps vanishing: link the verified temporary file
			// itself; the next writer makes the entry again.
			src = tmp
		}
		err := unix.Linkat(unix.AT_FDCWD, src, int(dir.Fd()), name, 0)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EXDEV):
			return errCrossDevice
		case errors.Is(err, unix.EMLINK):
			return errTooManyLinks
		case errors.Is(err, unix.EEXIST):
			return fmt.Errorf("%s: %w", name, fs.ErrExist)
		case !errors.Is(err, unix.ENOENT) || src == tmp:
			return fmt.Errorf("linking %s from the file store: %w", name, err)
		}
		// A miss (or the entry was just collected): write it. The
		// temporary file keeps the entry's link count above one until it
		// is linked into dir, so Collect leaves it alone meanwhile.
		if err := os.MkdirAll(filepath.Dir(entry), 0o700); err != nil {
			return fmt.Errorf("creating the file store: %w", err)
		}
		if tmp == "" {
			tmp = s.linkTemp(ctx, d, from)
		}
		if tmp == "" {
			if tmp, err = s.writeTemp(ctx, d, open); err != nil {
				return err
			}
		}
		// A concurrent writer of the same digest may have won: its entry
		// holds the same verified bytes, and linking to it shares them.
		if err := os.Link(tmp, entry); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("adding %s to the file store: %w", d, err)
		}
	}
}

// writeTemp writes what open reads to a new temporary file in the store,
// verifying it against d, syncing it and making it read-only. On error
// nothing is left.
func (s *Store) writeTemp(ctx context.Context, d digest.Digest, open func() (io.ReadCloser, error)) (string, error) {
	r, err := open()
	if err != nil {
		return "", err
	}
	defer r.Close()
	f, err := os.CreateTemp(s.dir, storeTempPrefix+"*")
	if err != nil {
		return "", fmt.Errorf("writing to the file store: %w", err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := copyVerified(ctx, f, r, d); err != nil {
		return "", err
	}
	// Synced before it is named: after a crash an entry is whole or absent.
	if err := f.Chmod(0o444); err != nil {
		return "", fmt.Errorf("writing to the file store: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("writing to the file store: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("writing to the file store: %w", err)
	}
	done = true
	return f.Name(), nil
}

// link creates rel (which must not exist) as a link to the store's entry for
// d, whose content is inline when non-nil, else in the blobs or archives.
func (b *builder) link(ctx context.Context, rel string, d digest.Digest, inline []byte) error {
	dirRel, name := path.Split(rel)
	dir, err := b.root.Open(path.Clean(dirRel))
	if err != nil {
		return err
	}
	defer dir.Close()
	open := func() (io.ReadCloser, error) {
		if inline != nil {
			return io.NopCloser(bytes.NewReader(inline)), nil
		}
		return b.open(ctx, d)
	}
	from := b.linkFrom
	if inline != nil {
		from = ""
	}
	err = b.store.link(ctx, d, dir, name, from, open)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s is written twice: %w", rel, lock.ErrInvalid)
	}
	return err
}
