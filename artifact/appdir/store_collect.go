package appdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// staleStoreTemp is how old a temporary file must be before Collect counts
// it as left by a writer that died (writes take seconds at most).
const staleStoreTemp = time.Hour

// CollectResult says what Collect did.
type CollectResult struct {
	// Removed counts the entries removed, Freed their bytes.
	Removed int
	Freed   int64
	// Kept counts the entries kept (linked from an app directory, or
	// unlinked for less than the grace period), Size their bytes.
	Kept int
	Size int64
}

// Collect removes the entries that no app directory has linked to (link
// count 1: the store's own name) for at least grace, and temporary files
// left by dead writers. An entry's change time is when its last link went
// (unlinking updates it), so grace keeps the files of an app restarted or
// rolled out soon after its last container went. An entry some app
// directory holds is never removed, nor one being written (its temporary
// file is a second link). Removing a name never disturbs a process that
// has the file open. A missing store is empty.
//
// A Materialize in another process may link an entry between Collect's
// look at its link count and its removal: the app directory then keeps
// the bytes (a hard link is the file) and only the store loses the
// entry, which the next writer adds again.
func (s *Store) Collect(grace time.Duration) (CollectResult, error) {
	var res CollectResult
	algs, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("reading the file store %s: %w", s.dir, err)
	}
	var errs []error
	for _, a := range algs {
		p := filepath.Join(s.dir, a.Name())
		switch {
		case strings.HasPrefix(a.Name(), storeTempPrefix):
			if info, err := a.Info(); err == nil && time.Since(info.ModTime()) > staleStoreTemp {
				_ = os.Remove(p)
			}
		case a.IsDir():
			errs = append(errs, collectDir(p, grace, &res))
		}
	}
	return res, errors.Join(errs...)
}

// collectDir removes dir's entries unlinked for at least grace.
func collectDir(dir string, grace time.Duration, res *CollectResult) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading the file store: %w", err)
	}
	var errs []error
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue // removed meanwhile, or not an entry
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			continue
		}
		if st.Nlink > 1 || time.Since(time.Unix(st.Ctim.Unix())) < grace {
			res.Kept++
			res.Size += info.Size()
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing a file store entry: %w", err))
			continue
		}
		res.Removed++
		res.Freed += info.Size()
	}
	return errors.Join(errs...)
}
