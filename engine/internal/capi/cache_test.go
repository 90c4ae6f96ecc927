package capi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
	"github.com/sirupsen/logrus"
)

// fakeCodec "compiles" wasm to its upper-case form and records what it was
// asked to do; deserializeFile reads the file back.
type fakeCodec struct {
	compiled, deserialized []string
}

func (f *fakeCodec) codec(configID string) codec[string] {
	return codec[string]{
		kind:     "thing",
		configID: configID,
		compile: func(wasm []byte) (string, error) {
			if len(wasm) == 0 {
				return "", errors.New("empty")
			}
			f.compiled = append(f.compiled, string(wasm))
			return strings.ToUpper(string(wasm)), nil
		},
		serialize: func(s string) ([]byte, func(), error) { return []byte(s), func() {}, nil },
		close:     func(string) {},
		deserializeFile: func(path string) (string, error) {
			b, err := os.ReadFile(path)
			f.deserialized = append(f.deserialized, string(b))
			return string(b), err
		},
	}
}

func TestCompileCache(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "cache")
	cache := NewCache(dir)
	f := &fakeCodec{}
	get := func(wasm, configID string) string {
		t.Helper()
		v, _, err := compileCached(ctx, cache, []byte(wasm), sha256.Sum256([]byte(wasm)), f.codec(configID))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	if got := get("abc", "cfg1"); got != "ABC" || len(f.compiled) != 1 {
		t.Fatalf("first compile: %q, compiled %q", got, f.compiled)
	}
	code, sum := CacheFiles(dir, []byte("abc"), "cfg1")
	if b, err := os.ReadFile(code); err != nil || string(b) != "ABC" {
		t.Fatalf("entry code %q, %v", b, err)
	}
	// App processes of other users than the compile stage's load the
	// entry: its files are readable by all, writable by the writer only.
	for _, f := range []string{code, sum} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatalf("entry: %v", err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want -rw-r--r--", filepath.Base(f), st.Mode().Perm())
		}
	}
	if got := get("abc", "cfg1"); got != "ABC" || len(f.compiled) != 1 || len(f.deserialized) != 1 {
		t.Fatalf("second compile: %q, compiled %q, deserialized %q", got, f.compiled, f.deserialized)
	}

	// The key is (wasm, config id): another config id compiles again.
	if code2, _ := CacheFiles(dir, []byte("abc"), "cfg2"); code2 == code {
		t.Fatal("config ids share an entry")
	}
	get("abc", "cfg2")
	if len(f.compiled) != 2 {
		t.Fatalf("other config id did not compile: %q", f.compiled)
	}

	// Code that does not match its checksum (corrupt, or not written by
	// this package) is never deserialized: it is recompiled and rewritten.
	for name, tamper := range map[string]func(){
		"code changed": func() { os.WriteFile(code, []byte("EVIL"), 0o600) },
		"code replaced by a file of its size": func() {
			os.WriteFile(code+".new", []byte("EVL"), 0o600)
			os.Rename(code+".new", code)
		},
		"checksum removed": func() { os.Remove(sum) },
		"checksum garbage": func() { os.WriteFile(sum, []byte("0000\n"), 0o600) },
	} {
		f.compiled, f.deserialized = nil, nil
		tamper()
		if got := get("abc", "cfg1"); got != "ABC" || len(f.compiled) != 1 || len(f.deserialized) != 0 {
			t.Fatalf("%s: got %q, compiled %q, deserialized %q", name, got, f.compiled, f.deserialized)
		}
		if get("abc", "cfg1"); len(f.deserialized) != 1 || len(f.compiled) != 1 {
			t.Fatalf("%s: entry not rewritten: compiled %q, deserialized %q", name, f.compiled, f.deserialized)
		}
	}

	// The checksum file records the code file as written in this boot: its
	// CRC is not computed again while the file is that one (a wrong CRC in
	// the checksum file goes unnoticed), but it is for a stamp of another
	// boot, as after a crash.
	line, err := os.ReadFile(sum)
	if err != nil || !strings.Contains(string(line), " written=") {
		t.Fatalf("checksum file %q (%v) records no write stamp", line, err)
	}
	wrongCRC := strings.Replace(string(line), "crc32c=", "crc32c=0", 1)
	f.compiled, f.deserialized = nil, nil
	os.WriteFile(sum, []byte(wrongCRC), 0o600)
	if get("abc", "cfg1"); len(f.compiled) != 0 || len(f.deserialized) != 1 {
		t.Fatalf("stamped entry: compiled %q, deserialized %q; want it loaded without a CRC check", f.compiled, f.deserialized)
	}
	otherBoot := strings.Replace(wrongCRC, " written=", " written=x", 1)
	os.WriteFile(sum, []byte(otherBoot), 0o600)
	if get("abc", "cfg1"); len(f.compiled) != 1 {
		t.Fatalf("entry of another boot with a wrong CRC: compiled %q, deserialized %q; want it recompiled", f.compiled, f.deserialized)
	}

	// Compile errors are returned and leave no entry.
	if _, _, err := compileCached(ctx, cache, nil, sha256.Sum256(nil), f.codec("cfg1")); err == nil {
		t.Fatal("compile error not returned")
	}
	// Two entries of two files, no temporary files.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Fatalf("cache dir holds %d entries, want 4", len(entries))
	}
}

func TestCompileCacheDisabled(t *testing.T) {
	f := &fakeCodec{}
	for range 2 {
		if _, _, err := compileCached(context.Background(), nil, []byte("abc"), sha256.Sum256([]byte("abc")), f.codec("cfg")); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.compiled) != 2 {
		t.Fatalf("compiled %d times without a cache dir", len(f.compiled))
	}
}

// TestCompileCacheUnwritable: a cache that cannot be written costs a
// compilation, not an error.
func TestCompileCacheUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := &fakeCodec{}
	if v, _, err := compileCached(context.Background(), NewCache(filepath.Join(file, "cache")), []byte("abc"), sha256.Sum256([]byte("abc")), f.codec("cfg")); err != nil || v != "ABC" {
		t.Fatalf("compile with an unwritable cache: %q, %v", v, err)
	}
}

func TestCompileModuleAndComponentCached(t *testing.T) {
	var logs bytes.Buffer
	logger := logrus.New()
	logger.SetOutput(&logs)
	logger.SetLevel(logrus.DebugLevel)
	ctx := log.WithLogger(context.Background(), logrus.NewEntry(logger))
	dir := t.TempDir()
	cache := NewCache(dir)

	engine := wasmtime.NewEngine()
	defer engine.Close()
	module, err := wasmtime.Wat2Wasm(`(module (func (export "f") (result i32) (i32.const 7)))`)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		m, _, err := CompileModule(ctx, engine, module, sha256.Sum256(module), cache)
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
	}
	if _, _, err := CompileModule(ctx, engine, []byte("\x00asm\x01\x00\x00\x00\xff"), sha256.Sum256([]byte("\x00asm\x01\x00\x00\x00\xff")), cache); err == nil || !strings.HasPrefix(err.Error(), "compile:") {
		t.Fatalf("invalid module: %v", err)
	}

	e := NewEngine()
	defer e.Close()
	component, err := Wat2Wasm(adderWAT)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		c, _, err := CompileComponent(ctx, e, component, sha256.Sum256(component), cache)
		if err != nil {
			t.Fatal(err)
		}
		if !c.HasExport("run") {
			t.Error("cached component lost its export")
		}
		c.Close()
	}

	for _, entry := range []struct {
		wasm     []byte
		configID string
	}{{module, ModuleConfigID}, {component, ComponentConfigID}} {
		code, sum := CacheFiles(dir, entry.wasm, entry.configID)
		data, err := os.ReadFile(code)
		if err != nil {
			t.Fatalf("%s entry: %v", entry.configID, err)
		}
		want, err := os.ReadFile(sum)
		if got := fmt.Sprintf("crc32c=%08x size=%d", crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli)), len(data)); err != nil || !strings.HasPrefix(string(want), got) {
			t.Fatalf("%s checksum %q (%v), want the code's", entry.configID, want, err)
		}
	}
	for _, want := range []string{"loaded compiled module from cache", "loaded compiled component from cache"} {
		if n := strings.Count(logs.String(), want); n != 1 {
			t.Errorf("%q logged %d times, want once (the second compilation): %s", want, n, &logs)
		}
	}
}
