package compilecache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestBoundWhenIdleWaitsForStarts: while an app starts (holding the start
// lock), eviction removes nothing, even an entry nobody has locked yet
// (one its compile stage just wrote); it gives up when its context ends,
// and evicts once the start is over.
func TestBoundWhenIdleWaitsForStarts(t *testing.T) {
	dir := t.TempDir()
	writeEntry(t, dir, "old", 1000, time.Hour)
	writeEntry(t, dir, "just-written", 1000, 0)
	release, err := HoldForStart(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if res, err := BoundWhenIdle(ctx, dir, 1); !errors.Is(err, ErrStartsInProgress) || len(res.Removed) != 0 {
		t.Errorf("during a start: %+v, %v; want nothing removed and ErrStartsInProgress", res, err)
	}
	for _, key := range []string{"old", "just-written"} {
		if code, sum := exists(dir, key); !code || !sum {
			t.Errorf("entry %s was touched during a start", key)
		}
	}

	// A second start may overlap the first; eviction waits for both.
	release2, err := HoldForStart(dir)
	if err != nil {
		t.Fatal(err)
	}
	release()
	done := make(chan Result)
	go func() {
		res, err := BoundWhenIdle(context.Background(), dir, 1100)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	select {
	case res := <-done:
		t.Fatalf("eviction ran while a start held the cache: %+v", res)
	case <-time.After(200 * time.Millisecond):
	}
	release2()
	select {
	case res := <-done:
		if len(res.Removed) != 1 || res.Removed[0] != "old" {
			t.Errorf("after the starts: removed %q, want the oldest entry", res.Removed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("eviction did not run once the starts were over")
	}
}

// TestHoldForStartWaitsForEviction: a start waits while an eviction holds
// the cache, so that it never loads an entry being removed.
func TestHoldForStartWaitsForEviction(t *testing.T) {
	dir := t.TempDir()
	f, err := openStartLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := flockExclusive(f); err != nil {
		t.Fatal(err)
	}
	held := make(chan func())
	go func() {
		release, err := HoldForStart(dir)
		if err != nil {
			t.Error(err)
		}
		held <- release
	}()
	select {
	case <-held:
		t.Fatal("a start went ahead during an eviction")
	case <-time.After(100 * time.Millisecond):
	}
	f.Close()
	select {
	case release := <-held:
		release()
	case <-time.After(5 * time.Second):
		t.Fatal("the start still waits after the eviction")
	}
	// The start lock is not an entry: bounding leaves it alone.
	if res, err := bound(context.Background(), dir, 1); err != nil || len(res.Removed) != 0 {
		t.Errorf("bound on a cache holding only its lock file: %+v, %v", res, err)
	}
}

func flockExclusive(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

// TestBoundWhenIdleCreatesNothing: eviction in a cache no start has held
// (no start lock) removes nothing and creates no file.
func TestBoundWhenIdleCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	writeEntry(t, dir, "old", 1000, time.Hour)
	if res, err := BoundWhenIdle(context.Background(), dir, 1); err != nil || len(res.Removed) != 0 {
		t.Errorf("without a start lock: %+v, %v; want nothing done", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, startLockName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("eviction created the start lock: %v", err)
	}
	if res, err := BoundWhenIdle(context.Background(), filepath.Join(dir, "missing"), 1); err != nil || res.Size != 0 {
		t.Errorf("missing cache: %+v, %v", res, err)
	}
}

// TestBoundWhenIdleUnderCapHoldsUpNoStart: a round that finds the cache
// under its cap returns at once, even while an app starts, without taking
// the lock that would hold up the next start.
func TestBoundWhenIdleUnderCapHoldsUpNoStart(t *testing.T) {
	dir := t.TempDir()
	writeEntry(t, dir, "old", 1000, time.Hour)
	release, err := HoldForStart(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := BoundWhenIdle(ctx, dir, 1<<20)
	if err != nil || len(res.Removed) != 0 {
		t.Fatalf("under the cap during a start: %+v, %v; want nothing removed, no error", res, err)
	}
	if res.Size < 1000 {
		t.Errorf("size %d, want the entry's", res.Size)
	}
}
