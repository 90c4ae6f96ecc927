package engine

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/artifact/appdir"
)

// A recorded digest names the wasm without reading it; bytes read later
// must match it. Without one, the sum is the bytes'.
func TestWasmSource(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.wasm")
	wasm := []byte("\x00asm\x01\x00\x00\x00")
	if err := os.WriteFile(path, wasm, 0o600); err != nil {
		t.Fatal(err)
	}
	recorded := digest.FromString("other bytes")

	src, err := openWasm(appdir.Component{WasmPath: path, WasmDigest: recorded})
	if err != nil {
		t.Fatal(err)
	}
	if src.isComponent() || string(src.header) != string(wasm) {
		t.Errorf("header = %q, component %v; want the module header", src.header, src.isComponent())
	}
	sum, err := src.Sum()
	if err != nil || digest.NewDigestFromBytes(digest.SHA256, sum[:]) != recorded {
		t.Errorf("Sum = %x, %v; want the recorded %s", sum, err, recorded)
	}
	if src.bytes != nil {
		t.Error("Sum read the wasm although a digest was recorded")
	}
	if _, err := src.Bytes(); err == nil || !strings.Contains(err.Error(), "does not match its digest "+recorded.String()) {
		t.Errorf("Bytes of changed wasm: err = %v, want a digest mismatch naming %s", err, recorded)
	}

	src, err = openWasm(appdir.Component{WasmPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := src.Sum(); err != nil || sum != sha256.Sum256(wasm) {
		t.Errorf("Sum without a digest = %x, %v; want the bytes' sha256", sum, err)
	}

	if _, err := openWasm(appdir.Component{WasmPath: filepath.Join(dir, "missing.wasm")}); err == nil || !strings.Contains(err.Error(), "read wasm") {
		t.Errorf("missing wasm: err = %v", err)
	}
}

// Map gives the file's bytes, checked like Bytes', valid until released
// even when the file's name is gone meanwhile; an empty file maps to no
// bytes.
func TestWasmSourceMap(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.wasm")
	wasm := []byte("\x00asm\x01\x00\x00\x00 and a body")
	if err := os.WriteFile(path, wasm, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := openWasm(appdir.Component{WasmPath: path, WasmDigest: digest.FromBytes(wasm)})
	if err != nil {
		t.Fatal(err)
	}
	mapped, release, err := src.Map()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if string(mapped) != string(wasm) {
		t.Errorf("Map = %q, want the file's bytes", mapped)
	}
	if src.bytes != nil {
		t.Error("Map read the wasm into memory")
	}
	if sum, err := src.Sum(); err != nil || sum != sha256.Sum256(wasm) {
		t.Errorf("Sum after Map = %x, %v", sum, err)
	}
	release()
	release() // a second release does nothing

	if err := os.WriteFile(path, wasm, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err = openWasm(appdir.Component{WasmPath: path, WasmDigest: digest.FromString("other bytes")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.Map(); err == nil || !strings.Contains(err.Error(), "does not match its digest") {
		t.Errorf("Map of changed wasm: err = %v, want a digest mismatch", err)
	}

	empty := filepath.Join(dir, "empty.wasm")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	src, err = openWasm(appdir.Component{WasmPath: empty})
	if err != nil {
		t.Fatal(err)
	}
	if b, release, err := src.Map(); err != nil || len(b) != 0 {
		t.Errorf("Map of an empty file = %q, %v; want no bytes", b, err)
	} else {
		release()
	}
}
