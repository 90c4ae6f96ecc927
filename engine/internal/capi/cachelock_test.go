package capi

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"testing"
	"time"
)

// TestPrecompileWaitsForTheEntryBeingCompiled: a stage whose code another
// stage is compiling (it holds the entry's lock) waits, and compiles
// nothing once that one has written the entry; a stage that finds no entry
// once it holds the lock compiles.
func TestPrecompileWaitsForTheEntryBeingCompiled(t *testing.T) {
	ctx := context.Background()
	cache := NewCache(filepath.Join(t.TempDir(), "cache"))
	f := &fakeCodec{}
	c := f.codec("cfg")
	wasm := []byte("abc")
	wasmSum := sha256.Sum256(wasm)
	code, sum := cache.entry(wasmSum, tierConfigID("cfg", c.tier))

	unlock, err := lockEntry(code) // the other stage, compiling
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		compiled bool
		err      error
	}
	done := make(chan result, 1)
	go func() {
		compiled, _, err := precompile(ctx, cache, wasm, wasmSum, c)
		done <- result{compiled, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("precompile returned (%v, %v) while another stage held the entry's lock", r.compiled, r.err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := c.store(cache, code, sum, "ABC"); err != nil { // the other stage's entry
		t.Fatal(err)
	}
	unlock()
	r := <-done
	if r.err != nil || r.compiled || len(f.compiled) != 0 {
		t.Fatalf("precompile after the other stage: compiled %v (%q), %v; want the other stage's entry used", r.compiled, f.compiled, r.err)
	}

	other := []byte("xyz")
	compiled, _, err := precompile(ctx, cache, other, sha256.Sum256(other), c)
	if err != nil || !compiled || len(f.compiled) != 1 {
		t.Fatalf("precompile of code nobody compiles: compiled %v (%q), %v", compiled, f.compiled, err)
	}
}
