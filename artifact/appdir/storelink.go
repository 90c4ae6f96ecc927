package appdir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/containerd/log"
	"github.com/opencontainers/go-digest"
)

// blobFileMode is the mode of a blob file the store links instead of
// copying: read-only for everyone, as containerd's content store leaves a
// blob under the usual umask (022). The store's own entries have it too,
// and the app's user, whoever it is, must be able to read its files; a
// blob with another mode is copied, so that nothing here changes the mode
// of a file containerd owns.
const blobFileMode = 0o444

// linkTemp makes a new temporary name in the store for the file holding
// d's bytes in the blob directory from (<from>/<algorithm>/<encoded>), once
// it has read those bytes through the new name and found that they match
// d. It returns the name, or "" when the file cannot be the entry: from
// is "", there is no such file, it is not a regular file of blobFileMode,
// it is on another filesystem (or has too many links), or its bytes
// differ. Nothing is left behind on "": the caller copies instead.
//
// Linking rather than copying makes a first start's files cost no read
// through containerd's API, no write and no second copy on disk.
func (s *Store) linkTemp(ctx context.Context, d digest.Digest, from string) string {
	if from == "" {
		return ""
	}
	src := filepath.Join(from, d.Algorithm().String(), d.Encoded())
	logger := log.G(ctx).WithFields(log.Fields{"digest": d, "blob": src})
	info, err := os.Lstat(src)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ""
	case err != nil:
		logger.WithError(err).Debug("file store: copying the blob rather than linking its file")
		return ""
	case !linkable(info):
		logger.WithField("mode", info.Mode()).Debug("file store: copying the blob: its file is not a read-only regular file")
		return ""
	}
	tmp, err := s.tempName()
	if err != nil {
		logger.WithError(err).Debug("file store: copying the blob rather than linking its file")
		return ""
	}
	if err := os.Link(src, tmp); err != nil {
		logger.WithError(err).Debug("file store: copying the blob rather than linking its file")
		return ""
	}
	if err := verifyLinked(ctx, tmp, d); err != nil {
		_ = os.Remove(tmp)
		logger.WithError(err).Warn("file store: not linking the blob's file, copying the blob instead")
		return ""
	}
	return tmp
}

// linkable reports whether info is of a file the store may link.
func linkable(info fs.FileInfo) bool {
	return info.Mode().IsRegular() && info.Mode().Perm() == blobFileMode
}

// tempName returns an unused temporary name in the store, creating the
// store's directory if needed.
func (s *Store) tempName() (string, error) {
	f, err := os.CreateTemp(s.dir, storeTempPrefix+"*")
	if err != nil {
		return "", fmt.Errorf("naming a file in the file store: %w", err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return "", fmt.Errorf("naming a file in the file store: %w", err)
	}
	return name, nil
}

// verifyLinked checks that path, just linked, is still a linkable file (the
// name linked may have changed since it was looked at) and holds d's bytes.
func verifyLinked(ctx context.Context, path string, d digest.Digest) error {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !linkable(info) {
		return fmt.Errorf("the file linked is not a read-only regular file (mode %v)", info.Mode())
	}
	return copyVerified(ctx, io.Discard, f, d)
}
