package compilecache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// An app holds the entries it uses once it has loaded them, but not while it
// starts: between the compile stage writing an entry and the app process
// locking it, or between the app writing an entry and locking it, another
// task's eviction could remove it. So each start holds a shared lock on the
// cache's start lock file until its app has loaded, and eviction runs only
// under the exclusive lock, when no start is in progress.

// startLockName is the lock file in the cache directory; eviction ignores it
// (it is neither an entry nor a temporary file).
const startLockName = ".start.lock"

// ErrStartsInProgress is returned by BoundWhenIdle when apps kept starting
// until its context ended: nothing was evicted.
var ErrStartsInProgress = errors.New("apps were starting the whole time: eviction skipped")

// pollInterval is how often BoundWhenIdle retries the exclusive lock.
const pollInterval = 50 * time.Millisecond

// HoldForStart takes the shared start lock of the cache in dir (creating
// both if needed) for an app that is about to load; release ends it. It
// waits only for an eviction in progress, which is short.
func HoldForStart(dir string) (release func(), err error) {
	f, err := openStartLock(dir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the compile cache for a start: %w", err)
	}
	return func() { f.Close() }, nil
}

// BoundWhenIdle is bound run under the exclusive start lock: it waits until
// no app is starting, retrying until ctx ends (then ErrStartsInProgress),
// and stops evicting when ctx ends. A cache under its cap is only measured:
// no lock, no wait.
func BoundWhenIdle(ctx context.Context, dir string, maxSize int64) (Result, error) {
	if maxSize == 0 {
		return Result{}, nil
	}
	// Eviction creates nothing: without a start lock no app has started
	// with this cache, and there is nothing to evict.
	f, err := os.Open(filepath.Join(dir, startLockName))
	if errors.Is(err, fs.ErrNotExist) {
		return Result{}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("opening the compile cache's start lock: %w", err)
	}
	defer f.Close()
	// Most rounds find the cache under its cap: they tell without the
	// lock, which would hold up every start on the node while they scan;
	// what a start adds meanwhile is for the next round.
	if _, size, err := scan(dir); err == nil && size <= maxSize {
		return Result{Size: size}, nil
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return Result{}, fmt.Errorf("locking the compile cache for eviction: %w", err)
		}
		select {
		case <-ctx.Done():
			return Result{}, ErrStartsInProgress
		case <-time.After(pollInterval):
		}
	}
	return bound(ctx, dir, maxSize)
}

func openStartLock(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the compile cache directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, startLockName), os.O_RDONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening the compile cache's start lock: %w", err)
	}
	return f, nil
}
