package compilecache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	units "github.com/docker/go-units"
)

// MaxSizeEnv, in the shim's environment, caps the cache (bytes, or with a
// unit such as 2GiB; 0 for no cap).
const MaxSizeEnv = "SPINOCI_CACHE_MAX_SIZE"

// DefaultMaxSize is the cap when MaxSizeEnv is unset: room for a few dozen
// large components (a compiled JS component is about 30 MB).
const DefaultMaxSize = 2 << 30

const (
	codeSuffix = ".cwasm"
	sumSuffix  = ".sum"
	// lockSuffix is the file a compile stage locks while it compiles the
	// entry; it goes with the entry.
	lockSuffix = ".lock"
	tempPrefix = ".tmp-"
	// staleTemp is how old a temporary file must be before it counts as
	// left over by a writer that died (writes take seconds at most).
	staleTemp = time.Hour
)

// ParseMaxSize parses MaxSizeEnv's value: "" means DefaultMaxSize, 0 no cap.
func ParseMaxSize(value string) (int64, error) {
	if value == "" {
		return DefaultMaxSize, nil
	}
	n, err := units.RAMInBytes(value)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q: want a size such as 2147483648 or 2GiB (0: no cap)", MaxSizeEnv, value)
	}
	return n, nil
}

// Result says what an eviction (BoundWhenIdle) did.
type Result struct {
	// Size is the cache's size afterwards, in bytes.
	Size int64
	// Removed lists the keys of evicted entries, oldest first.
	Removed []string
	// InUse counts entries over the cap kept because an app holds them.
	InUse int
}

// entry is one cache entry on disk; either file may be missing after a
// crash between the two writes.
type entry struct {
	key      string
	size     int64
	lastUsed time.Time
}

// bound removes least recently used entries of dir, and temporary files
// left by dead writers, until dir holds at most maxSize bytes (0: no cap),
// stopping early when ctx ends. Entries in use are kept even if the cache
// stays over the cap. A missing dir is an empty cache.
func bound(ctx context.Context, dir string, maxSize int64) (Result, error) {
	entries, size, err := scan(dir)
	if err != nil {
		return Result{}, err
	}
	res := Result{Size: size}
	if maxSize == 0 || size <= maxSize {
		return res, nil
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].lastUsed.Before(entries[j].lastUsed) })
	var errs []error
	for _, e := range entries {
		if res.Size <= maxSize || ctx.Err() != nil {
			break
		}
		removed, err := evict(dir, e.key)
		switch {
		case err != nil:
			errs = append(errs, err)
		case removed:
			res.Size -= e.size
			res.Removed = append(res.Removed, e.key)
		default:
			res.InUse++
		}
	}
	return res, errors.Join(errs...)
}

// scan lists dir's entries and their total size, removing stale temporary
// files on the way.
func scan(dir string) ([]entry, int64, error) {
	files, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("reading compile cache %s: %w", dir, err)
	}
	byKey := map[string]*entry{}
	var total int64
	for _, f := range files {
		name := f.Name()
		info, err := f.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue // removed meanwhile, or not ours
		}
		if strings.HasPrefix(name, tempPrefix) {
			if time.Since(info.ModTime()) > staleTemp {
				_ = os.Remove(filepath.Join(dir, name))
			} else {
				total += info.Size()
			}
			continue
		}
		key, ok := strings.CutSuffix(name, codeSuffix)
		if !ok {
			if key, ok = strings.CutSuffix(name, sumSuffix); !ok {
				continue
			}
		}
		e := byKey[key]
		if e == nil {
			e = &entry{key: key}
			byKey[key] = e
		}
		e.size += info.Size()
		total += info.Size()
		// The checksum file's time is the last use; a lone code file (its
		// writer died before the checksum) counts by its own time.
		if strings.HasSuffix(name, sumSuffix) || e.lastUsed.IsZero() {
			e.lastUsed = info.ModTime()
		}
	}
	entries := make([]entry, 0, len(byKey))
	for _, e := range byKey {
		entries = append(entries, *e)
	}
	return entries, total, nil
}

// evict removes entry key unless an app holds it (false, nil). The checksum
// goes first, so that a loader racing with eviction finds no entry rather
// than a checksum without code.
func evict(dir, key string) (bool, error) {
	code := filepath.Join(dir, key+codeSuffix)
	sum := filepath.Join(dir, key+sumSuffix)
	f, err := os.Open(code)
	if errors.Is(err, fs.ErrNotExist) {
		return true, removeIfPresent(sum)
	}
	if err != nil {
		return false, fmt.Errorf("opening cache entry %s: %w", code, err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		return false, fmt.Errorf("locking cache entry %s: %w", code, err)
	}
	if err := removeIfPresent(sum); err != nil {
		return false, err
	}
	if err := removeIfPresent(code); err != nil {
		return false, err
	}
	return true, removeIfPresent(filepath.Join(dir, key+lockSuffix))
}

func removeIfPresent(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing cache file: %w", err)
	}
	return nil
}
