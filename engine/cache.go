package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
)

// engineConfigID identifies the compiled-code format: the wasmtime version,
// the engine settings (newEngine) and the host target. It is part of every
// cache key, so bumping wasmtime or changing the engine configuration
// invalidates the cache. The instance allocator does not change compiled
// code (the memory reservation and guards stay wasmtime's defaults), so
// the on-demand fallback shares the pooling engine's entries; wasmtime
// checks compatibility again when it deserializes.
const engineConfigID = "wasmtime-go/v39.0.1;engine=default;alloc=pooling;target=" + runtime.GOOS + "/" + runtime.GOARCH

// Cache file suffixes: the serialized module and its sha256 sidecar.
const (
	cacheModuleSuffix = ".cwasm"
	cacheSumSuffix    = ".sha256"
)

// newEngine returns the one Engine of an App and how many instances it can
// hold at once (0: no limit). It uses the pooling allocator (see
// usePooling) unless the pool's address space cannot be reserved. Any
// setting changed here must be reflected in engineConfigID.
func newEngine(ctx context.Context) (*wasmtime.Engine, int) {
	cfg := wasmtime.NewConfig()
	if !poolingFits() {
		log.G(ctx).Warn("cannot reserve address space for the wasm instance pool: instantiating on demand (slower)")
		return wasmtime.NewEngineWithConfig(cfg), 0
	}
	usePooling(cfg)
	return wasmtime.NewEngineWithConfig(cfg), poolSlots
}

// compiler compiles each distinct wasm binary once per App, through the
// optional on-disk cache.
type compiler struct {
	engine   *wasmtime.Engine
	cacheDir string
	modules  map[string]*wasmtime.Module // by wasm sha256 (hex)
}

func newCompiler(engine *wasmtime.Engine, cacheDir string) *compiler {
	return &compiler{engine: engine, cacheDir: cacheDir, modules: map[string]*wasmtime.Module{}}
}

// cacheKey is the file name stem of the cache entry for a wasm digest.
func cacheKey(wasmDigest string) string {
	cfg := sha256.Sum256([]byte(engineConfigID))
	return wasmDigest + "-" + hex.EncodeToString(cfg[:8])
}

// module returns the compiled module for wasm, compiling it (or loading it
// from the cache) at most once.
func (c *compiler) module(ctx context.Context, wasm []byte) (*wasmtime.Module, error) {
	digest := sha256Hex(wasm)
	if m, ok := c.modules[digest]; ok {
		return m, nil
	}
	m, err := c.load(ctx, digest, wasm)
	if err != nil {
		return nil, err
	}
	c.modules[digest] = m
	return m, nil
}

func (c *compiler) load(ctx context.Context, digest string, wasm []byte) (*wasmtime.Module, error) {
	if c.cacheDir == "" {
		return c.compile(wasm)
	}
	base := filepath.Join(c.cacheDir, cacheKey(digest))
	m, err := c.deserialize(base)
	if err == nil {
		log.G(ctx).WithField("cache", base+cacheModuleSuffix).Debug("loaded compiled module from cache")
		return m, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		log.G(ctx).WithError(err).WithField("cache", base+cacheModuleSuffix).Warn("ignoring unusable module cache entry")
	}
	m, err = c.compile(wasm)
	if err != nil {
		return nil, err
	}
	if err := c.store(base, m); err != nil {
		log.G(ctx).WithError(err).WithField("cache", base+cacheModuleSuffix).Warn("cannot write module cache entry")
	}
	return m, nil
}

func (c *compiler) compile(wasm []byte) (*wasmtime.Module, error) {
	m, err := wasmtime.NewModule(c.engine, wasm)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	return m, nil
}

// deserialize loads base.cwasm after checking it against base.sha256, both
// written by store. Bytes that do not match are never handed to wasmtime.
func (c *compiler) deserialize(base string) (*wasmtime.Module, error) {
	want, err := os.ReadFile(base + cacheSumSuffix)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(base + cacheModuleSuffix)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read cache entry: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.TrimSpace(string(want)) {
		return nil, fmt.Errorf("cache entry checksum mismatch (got %s)", got)
	}
	m, err := wasmtime.NewModuleDeserializeFile(c.engine, base+cacheModuleSuffix)
	if err != nil {
		return nil, fmt.Errorf("deserialize cache entry: %w", err)
	}
	return m, nil
}

// store writes base.cwasm and then its checksum, each atomically.
func (c *compiler) store(base string, m *wasmtime.Module) error {
	data, err := m.Serialize()
	if err != nil {
		return fmt.Errorf("serialize module: %w", err)
	}
	if err := os.MkdirAll(c.cacheDir, 0o700); err != nil {
		return fmt.Errorf("create cache dir: %w", err)
	}
	sum := sha256.Sum256(data)
	if err := writeFileAtomic(base+cacheModuleSuffix, data); err != nil {
		return err
	}
	return writeFileAtomic(base+cacheSumSuffix, []byte(hex.EncodeToString(sum[:])+"\n"))
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

// close releases all compiled modules.
func (c *compiler) close() {
	for k, m := range c.modules {
		m.Close()
		delete(c.modules, k)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
