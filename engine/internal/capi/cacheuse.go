package capi

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Entries in use. The shim bounds the cache by evicting the least recently
// used entries (the checksum file's modification time is the last use) and
// never removes one whose code file another process holds a shared flock
// on. Wasmtime maps deserialized code from the file; unlinking it would not
// break a running app (the mapping keeps the inode), but the space would
// stay taken while the cap counted it freed, and the next start of the same
// app would compile again. So whoever uses an entry holds a shared lock on
// its code file for as long as the compiled code lives.

// openEntryShared opens an entry's code file and takes a shared lock on it,
// waiting for an eviction in progress. An entry removed meanwhile reads as
// missing.
func openEntryShared(code string) (*os.File, error) {
	f, err := os.Open(code)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock cache entry: %w", err)
	}
	// Eviction unlinks while holding its exclusive lock: if the path no
	// longer names the file locked here, the entry is gone.
	held, err1 := f.Stat()
	named, err2 := os.Stat(code)
	if err1 != nil || err2 != nil || !os.SameFile(held, named) {
		f.Close()
		return nil, fmt.Errorf("cache entry %s was evicted: %w", code, os.ErrNotExist)
	}
	return f, nil
}

// touchEntry records a use of the entry whose checksum file is sum, for
// least-recently-used eviction. A read-only cache only loses the ordering.
func touchEntry(sum string) {
	now := time.Now()
	_ = os.Chtimes(sum, now, now)
}

// holdUntilCollected keeps lock (a shared lock on an entry's code file) open
// for as long as v is reachable: closing the file releases the lock.
func holdUntilCollected[T any](v *T, lock *os.File) {
	runtime.AddCleanup(v, func(f *os.File) { f.Close() }, lock)
}

// Retainers for the two kinds of compiled code.
func retainModule(m *wasmtime.Module, lock *os.File) { holdUntilCollected(m, lock) }
func retainComponent(c *Component, lock *os.File)    { holdUntilCollected(c, lock) }
