package capi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
)

// The compile cache is a directory of serialized compiled code, one entry
// per (wasm sha256, engine config id): KEY.cwasm, the serialized code, and
// KEY.sha256, its checksum. Wasmtime does not validate what it
// deserializes, so an entry is only used when its code matches the checksum
// this package wrote after it (both written atomically): a partial, corrupt
// or foreign file is recompiled and rewritten instead. Loading an entry
// touches KEY.sha256 (its last use) and holds a shared flock on KEY.cwasm
// while the compiled code lives; the shim evicts least recently used,
// unlocked entries (cacheuse.go).
const (
	cacheCodeSuffix = ".cwasm"
	cacheSumSuffix  = ".sha256"
)

// CacheFiles returns the files of the cache entry in dir for wasm compiled
// by an engine whose compiled-code format is configID: the serialized code
// and its checksum.
func CacheFiles(dir string, wasm []byte, configID string) (code, sum string) {
	wasmSum := sha256.Sum256(wasm)
	cfg := sha256.Sum256([]byte(configID))
	base := filepath.Join(dir, hex.EncodeToString(wasmSum[:])+"-"+hex.EncodeToString(cfg[:8]))
	return base + cacheCodeSuffix, base + cacheSumSuffix
}

// CompileModule compiles a core module for engine, which NewModuleEngine
// made, through the compile cache in cacheDir ("" for none).
func CompileModule(ctx context.Context, engine *wasmtime.Engine, wasm []byte, cacheDir string) (*wasmtime.Module, error) {
	return compileCached(ctx, cacheDir, wasm, codec[*wasmtime.Module]{
		kind:     "module",
		configID: ModuleConfigID,
		compile: func(wasm []byte) (*wasmtime.Module, error) {
			m, err := wasmtime.NewModule(engine, wasm)
			if err != nil {
				return nil, fmt.Errorf("compile: %w", err)
			}
			return m, nil
		},
		serialize: func(m *wasmtime.Module) ([]byte, error) {
			data, err := m.Serialize()
			if err != nil {
				return nil, fmt.Errorf("serialize module: %w", err)
			}
			return data, nil
		},
		deserializeFile: func(path string) (*wasmtime.Module, error) {
			return wasmtime.NewModuleDeserializeFile(engine, path)
		},
		retain: retainModule,
	})
}

// CompileComponent compiles a component for e through the compile cache in
// cacheDir ("" for none).
func CompileComponent(ctx context.Context, e *Engine, wasm []byte, cacheDir string) (*Component, error) {
	return compileCached(ctx, cacheDir, wasm, codec[*Component]{
		kind:            "component",
		configID:        ComponentConfigID,
		compile:         e.Compile,
		serialize:       (*Component).Serialize,
		deserializeFile: e.DeserializeFile,
		retain:          retainComponent,
	})
}

// codec is how one kind of compiled code is made, serialized and loaded.
type codec[T any] struct {
	kind            string // in log messages: "module", "component"
	configID        string
	compile         func(wasm []byte) (T, error)
	serialize       func(T) ([]byte, error)
	deserializeFile func(path string) (T, error)
	// retain keeps a shared lock on the entry's code file open while the
	// compiled code is in use (see openEntryShared); nil releases it at once.
	retain func(T, *os.File)
}

// hold hands lock to c.retain, or releases it.
func (c codec[T]) hold(v T, lock *os.File) {
	if c.retain == nil {
		lock.Close()
		return
	}
	c.retain(v, lock)
}

// compileCached returns wasm compiled by c: deserialized from dir when an
// entry written by this package is there, else compiled and written there.
// Cache trouble is logged, never returned: it costs a compilation.
func compileCached[T any](ctx context.Context, dir string, wasm []byte, c codec[T]) (T, error) {
	if dir == "" {
		return c.compile(wasm)
	}
	code, sum := CacheFiles(dir, wasm, c.configID)
	logger := log.G(ctx).WithField("cache", code)
	v, lock, err := loadEntry(code, sum, c.deserializeFile)
	if err == nil {
		c.hold(v, lock)
		logger.Debugf("loaded compiled %s from cache", c.kind)
		return v, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		logger.WithError(err).Warnf("ignoring unusable %s cache entry", c.kind)
	}
	v, err = c.compile(wasm)
	if err != nil {
		return v, err
	}
	data, err := c.serialize(v)
	if err == nil {
		err = storeEntry(dir, code, sum, data)
	}
	if err != nil {
		logger.WithError(err).Warnf("cannot write %s cache entry", c.kind)
		return v, nil
	}
	// The entry just written is in use too: the shim's eviction after this
	// app started must keep it.
	if lock, err := openEntryShared(code); err == nil {
		c.hold(v, lock)
	}
	return v, nil
}

// loadEntry deserializes code after checking it against sum. Bytes that do
// not match are never handed to wasmtime. It returns the code file, holding
// a shared lock on it, and records the use.
func loadEntry[T any](code, sum string, deserializeFile func(string) (T, error)) (_ T, lock *os.File, err error) {
	var zero T
	want, err := os.ReadFile(sum)
	if err != nil {
		return zero, nil, err
	}
	f, err := openEntryShared(code)
	if err != nil {
		return zero, nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return zero, nil, fmt.Errorf("read cache entry: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.TrimSpace(string(want)) {
		return zero, nil, fmt.Errorf("cache entry checksum mismatch (got %s)", got)
	}
	v, err := deserializeFile(code)
	if err != nil {
		return zero, nil, fmt.Errorf("deserialize cache entry: %w", err)
	}
	touchEntry(sum)
	return v, f, nil
}

// storeEntry writes data to code and then its checksum to sum, each
// atomically, creating dir if needed.
func storeEntry(dir, code, sum string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create cache dir: %w", err)
	}
	digest := sha256.Sum256(data)
	if err := writeFileAtomic(code, data); err != nil {
		return err
	}
	return writeFileAtomic(sum, []byte(hex.EncodeToString(digest[:])+"\n"))
}

// writeFileAtomic writes data to a temporary file next to path, syncs it and
// renames it over path.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename %s: %w", path, err)
	}
	return nil
}
