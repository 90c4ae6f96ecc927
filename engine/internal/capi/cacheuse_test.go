package capi

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// lockedShared tells whether another holder has a shared lock on path: an
// exclusive non-blocking lock, as the shim's eviction takes, fails.
func lockedShared(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		return false
	}
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Fatal(err)
	}
	return true
}

func TestCachedModuleHoldsItsEntryAndRecordsUse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cache := NewCache(dir)
	engine := wasmtime.NewEngine()
	defer engine.Close()
	wasm, err := wasmtime.Wat2Wasm(`(module (func (export "f")))`)
	if err != nil {
		t.Fatal(err)
	}
	code, sum := CacheFiles(dir, wasm, ModuleConfigID)

	func() { // compiled is unreachable after this
		compiled, _, err := CompileModule(ctx, engine, wasm, sha256.Sum256(wasm), cache)
		if err != nil {
			t.Fatal(err)
		}
		if !lockedShared(t, code) {
			t.Error("a freshly written entry in use is not locked")
		}
		compiled.Close()
	}()
	waitUnlocked(t, code)

	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(sum, old, old); err != nil {
		t.Fatal(err)
	}
	loaded, _, err := CompileModule(ctx, engine, wasm, sha256.Sum256(wasm), cache)
	if err != nil {
		t.Fatal(err)
	}
	if !lockedShared(t, code) {
		t.Error("a loaded entry in use is not locked")
	}
	if fi, err := os.Stat(sum); err != nil || !fi.ModTime().After(old.Add(47*time.Hour)) {
		t.Errorf("loading did not record the use: %v, %v", fi.ModTime(), err)
	}
	runtime.KeepAlive(loaded)
}

// waitUnlocked waits for the garbage collector to release the lock of
// compiled code that is no longer referenced.
func waitUnlocked(t *testing.T, code string) {
	t.Helper()
	for range 50 {
		runtime.GC()
		if !lockedShared(t, code) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Error("the entry stays locked after its compiled code was collected")
}

func TestEvictedEntryReadsAsMissing(t *testing.T) {
	dir := t.TempDir()
	code, _ := CacheFiles(dir, []byte("x"), "cfg")
	if err := os.WriteFile(code, []byte("X"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := openEntryShared(code)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Remove(code); err != nil {
		t.Fatal(err)
	}
	if _, err := openEntryShared(code); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("removed entry: %v", err)
	}
}
