package capi

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// TestLoadCachedModule: the cache-only load never compiles. It reports
// ErrNotCached for a missing or corrupt entry and loads one that
// CompileModule wrote.
func TestLoadCachedModule(t *testing.T) {
	ctx := context.Background()
	wasm, err := wasmtime.Wat2Wasm(`(module (func (export "f") (result i32) i32.const 7))`)
	if err != nil {
		t.Fatal(err)
	}
	engine := wasmtime.NewEngine()
	dir := filepath.Join(t.TempDir(), "cache")
	cache := NewCache(dir)

	if _, _, err := LoadCachedModule(ctx, engine, sha256.Sum256(wasm), cache); !errors.Is(err, ErrNotCached) {
		t.Fatalf("empty cache: %v, want ErrNotCached", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the cache-only load wrote to the cache: %v", err)
	}
	if _, _, err := LoadCachedModule(ctx, engine, sha256.Sum256(wasm), nil); !errors.Is(err, ErrNotCached) {
		t.Fatalf("no cache: %v, want ErrNotCached", err)
	}

	if _, _, err := CompileModule(ctx, engine, wasm, sha256.Sum256(wasm), cache); err != nil {
		t.Fatal(err)
	}
	m, tier, err := LoadCachedModule(ctx, engine, sha256.Sum256(wasm), cache)
	if err != nil {
		t.Fatalf("after CompileModule: %v", err)
	}
	if tier != Optimized {
		t.Fatalf("loaded tier %v, want the optimised code CompileModule cached", tier)
	}
	if len(m.Exports()) != 1 {
		t.Fatalf("loaded module exports %d items, want 1", len(m.Exports()))
	}

	// A new file: the loaded module maps the old one, which must not change
	// under it.
	code, _ := CacheFiles(dir, wasm, ModuleConfigID)
	if err := os.Remove(code); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(code, []byte("not compiled code"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadCachedModule(ctx, engine, sha256.Sum256(wasm), cache); !errors.Is(err, ErrNotCached) {
		t.Fatalf("corrupt entry: %v, want ErrNotCached", err)
	}
}
