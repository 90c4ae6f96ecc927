package capi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
)

// The compile cache is a directory of serialized compiled code, one entry
// per (wasm sha256, engine config id, tier): KEY.cwasm, the serialized code,
// and KEY.sum, its size and CRC-32C (entry.go). Wasmtime does not validate
// what it deserializes, so an entry is only used when its code matches the
// checksum this package wrote after it (both written atomically): a
// partial, corrupt or foreign file is recompiled and rewritten instead.
// Loading an entry touches KEY.sum (its last use) and holds a shared flock
// on KEY.cwasm while the compiled code lives; the shim evicts least
// recently used, unlocked entries (cacheuse.go). A compile stage holds an
// exclusive flock on KEY.lock while it compiles the entry (lockEntry).
const (
	cacheCodeSuffix = ".cwasm"
	cacheSumSuffix  = ".sum"
	cacheLockSuffix = ".lock"
)

// CacheFiles returns the files of the cache entry in dir for wasm compiled
// by an engine whose compiled-code format is configID, at the Optimized
// tier: the serialized code and its checksum.
func CacheFiles(dir string, wasm []byte, configID string) (code, sum string) {
	return entryFiles(dir, sha256.Sum256(wasm), tierConfigID(configID, Optimized))
}

// entryFiles is CacheFiles for the wasm whose sha256 is wasmSum and the
// config id of a tier.
func entryFiles(dir string, wasmSum [sha256.Size]byte, configID string) (code, sum string) {
	cfg := sha256.Sum256([]byte(configID))
	base := filepath.Join(dir, hex.EncodeToString(wasmSum[:])+"-"+hex.EncodeToString(cfg[:8]))
	return base + cacheCodeSuffix, base + cacheSumSuffix
}

// moduleCodec is how core modules are compiled by engine at tier t.
func moduleCodec(engine *wasmtime.Engine, t Tier) codec[*wasmtime.Module] {
	return codec[*wasmtime.Module]{
		kind:     "module",
		configID: ModuleConfigID,
		tier:     t,
		compile: func(wasm []byte) (*wasmtime.Module, error) {
			m, err := wasmtime.NewModule(engine, wasm)
			if err != nil {
				return nil, fmt.Errorf("compile: %w", err)
			}
			return m, nil
		},
		serialize: serializeModule,
		deserializeFile: func(path string) (*wasmtime.Module, error) {
			return wasmtime.NewModuleDeserializeFile(engine, path)
		},
		retain: retainModule,
		close:  (*wasmtime.Module).Close,
	}
}

// componentCodec is how components are compiled by e.
func componentCodec(e *Engine) codec[*Component] {
	return codec[*Component]{
		kind:            "component",
		configID:        ComponentConfigID,
		tier:            e.tier,
		compile:         e.Compile,
		serialize:       serializeComponent,
		deserializeFile: e.DeserializeFile,
		retain:          retainComponent,
		close:           (*Component).Close,
	}
}

// CompileModule compiles a core module for engine, which NewModuleEngine
// made, through the compile cache (nil for none): the best tier
// cached, else optimised code, compiled now and cached. It returns the
// tier of the code. wasmSum is wasm's sha256, which names the entry: the
// caller has it (computed once per load, or from the app directory).
func CompileModule(ctx context.Context, engine *wasmtime.Engine, wasm []byte, wasmSum [sha256.Size]byte, cache *Cache) (*wasmtime.Module, Tier, error) {
	return compileCached(ctx, cache, wasm, wasmSum, moduleCodec(engine, Optimized))
}

// CompileComponent compiles a component for e through the compile cache in
// cache (nil for none): the best tier cached, else code of e's tier,
// compiled now and cached. It returns the tier of the code.
func CompileComponent(ctx context.Context, e *Engine, wasm []byte, wasmSum [sha256.Size]byte, cache *Cache) (*Component, Tier, error) {
	return compileCached(ctx, cache, wasm, wasmSum, componentCodec(e))
}

// CachedModule loads the module code of tier t for wasm (whose sha256 is
// wasmSum) from cache, without compiling; ok is false when there is no
// usable entry.
func CachedModule(ctx context.Context, engine *wasmtime.Engine, wasmSum [sha256.Size]byte, cache *Cache, t Tier) (m *wasmtime.Module, ok bool) {
	return loadCached(ctx, cache, wasmSum, moduleCodec(engine, t))
}

// CachedComponent is CachedModule for components, loaded into e.
func CachedComponent(ctx context.Context, e *Engine, wasmSum [sha256.Size]byte, cache *Cache, t Tier) (c *Component, ok bool) {
	cc := componentCodec(e)
	cc.tier = t
	return loadCached(ctx, cache, wasmSum, cc)
}

// PrecompileModule writes the code of wasm, a core module, compiled at tier
// t by engine (NewModuleCompileEngine), to cache unless an
// entry of tier t or better is there. It reports whether it compiled and
// the best tier cached now.
func PrecompileModule(ctx context.Context, engine *wasmtime.Engine, wasm []byte, wasmSum [sha256.Size]byte, cache *Cache, t Tier) (bool, Tier, error) {
	return precompile(ctx, cache, wasm, wasmSum, moduleCodec(engine, t))
}

// PrecompileComponent is PrecompileModule for components, compiled by e at
// its tier.
func PrecompileComponent(ctx context.Context, e *Engine, wasm []byte, wasmSum [sha256.Size]byte, cache *Cache) (bool, Tier, error) {
	return precompile(ctx, cache, wasm, wasmSum, componentCodec(e))
}

// codec is how one kind of compiled code is made, serialized and loaded.
type codec[T any] struct {
	kind     string // in log messages: "module", "component"
	configID string // of the engine; each tier's entries have their own (tierConfigID)
	tier     Tier   // what compile produces
	compile  func(wasm []byte) (T, error)
	// serialize and deserializeFile are the code's form in the cache.
	serialize       func(T) (data []byte, release func(), err error)
	deserializeFile func(path string) (T, error)
	// retain keeps a shared lock on the entry's code file open while the
	// compiled code is in use (see openEntryShared); nil releases it at once.
	retain func(T, *os.File)
	close  func(T)
}

// hold hands lock to c.retain, or releases it.
func (c codec[T]) hold(v T, lock *os.File) {
	if c.retain == nil {
		lock.Close()
		return
	}
	c.retain(v, lock)
}

// compileCached returns wasm compiled by c and its tier: deserialized from
// cache when an entry written by this package is there (the best tier
// first), else compiled at c.tier and written there. Cache trouble is
// logged, never returned: it costs a compilation.
func compileCached[T any](ctx context.Context, cache *Cache, wasm []byte, wasmSum [sha256.Size]byte, c codec[T]) (T, Tier, error) {
	src := CodeSource{Cache: cache, Sum: wasmSum, Wasm: func() ([]byte, error) { return wasm, nil }}
	return pickCode(ctx, src, c, nil)
}

// compileNow compiles wasm with c and writes its code to cache (nil for
// none); cache trouble is logged.
func compileNow[T any](ctx context.Context, cache *Cache, wasm []byte, wasmSum [sha256.Size]byte, c codec[T]) (T, Tier, error) {
	v, err := c.compile(wasm)
	if err != nil || cache == nil {
		return v, c.tier, err
	}
	code, sum := cache.entry(wasmSum, tierConfigID(c.configID, c.tier))
	if err := c.store(cache, code, sum, v); err != nil {
		log.G(ctx).WithField("cache", code).WithError(err).Warnf("cannot write %s cache entry", c.kind)
		return v, c.tier, nil
	}
	// The entry just written is in use too: the shim's eviction after this
	// app started must keep it.
	if lock, err := openEntryShared(code); err == nil {
		c.hold(v, lock)
	}
	return v, c.tier, nil
}

// loadCached deserializes the entry of c.tier for the wasm whose sha256 is
// wasmSum, if cache holds a usable one.
func loadCached[T any](ctx context.Context, cache *Cache, wasmSum [sha256.Size]byte, c codec[T]) (T, bool) {
	if cache == nil {
		var zero T
		return zero, false
	}
	v, _, ok := lookup(ctx, cache, wasmSum, c)
	return v, ok
}

// lookup is loadCached for a cache: found says the entry is there (both
// files), usable (ok) or not (logged).
func lookup[T any](ctx context.Context, cache *Cache, wasmSum [sha256.Size]byte, c codec[T]) (_ T, found, ok bool) {
	var zero T
	code, sum := cache.entry(wasmSum, tierConfigID(c.configID, c.tier))
	logger := log.G(ctx).WithField("cache", code)
	v, lock, err := loadEntry(code, sum, cache.boot(), c.deserializeFile)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return zero, false, false
		}
		logger.WithError(err).Warnf("ignoring unusable %s cache entry", c.kind)
		return zero, true, false
	}
	c.hold(v, lock)
	logger.WithField("tier", c.tier).Debugf("loaded compiled %s from cache", c.kind)
	return v, true, true
}

// precompile compiles wasm at c.tier into an entry of cache, unless it has
// an entry of that tier or better (not verified here: loading verifies).
// It returns whether it compiled and the best tier cached afterwards.
func precompile[T any](ctx context.Context, cache *Cache, wasm []byte, wasmSum [sha256.Size]byte, c codec[T]) (bool, Tier, error) {
	if cache == nil {
		return false, c.tier, errors.New("precompile: no compile cache")
	}
	if t, ok := cachedTier(cache, wasmSum, c); ok {
		return false, t, nil
	}
	code, sum := cache.entry(wasmSum, tierConfigID(c.configID, c.tier))
	// Replicas of an app starting at once on a node run their stages at
	// once: one compiles, the others wait for its entry instead of
	// compiling the same code beside it (each an optimising compile of a
	// JS component: seconds of CPU and ~0.5 GB). A stage that cannot take
	// the lock compiles anyway.
	unlock, err := lockEntry(code)
	if err != nil {
		log.G(ctx).WithError(err).Debug("compiling without the cache entry's lock")
	} else {
		defer unlock()
		if t, ok := cachedTier(cache, wasmSum, c); ok {
			return false, t, nil
		}
	}
	v, err := c.compile(wasm)
	if err != nil {
		return false, c.tier, fmt.Errorf("%w: %w", ErrCompile, err)
	}
	defer c.close(v)
	if err := c.store(cache, code, sum, v); err != nil {
		return false, c.tier, fmt.Errorf("write %s cache entry: %w", c.kind, err)
	}
	log.G(ctx).WithField("cache", code).WithField("tier", c.tier).Debugf("compiled %s into the cache", c.kind)
	return true, c.tier, nil
}

// cachedTier returns the best tier, up to c's, at which cache holds wasm's
// code.
func cachedTier[T any](cache *Cache, wasmSum [sha256.Size]byte, c codec[T]) (Tier, bool) {
	for t := Optimized; t <= c.tier; t++ {
		if entryPresent(cache.entry(wasmSum, tierConfigID(c.configID, t))) {
			return t, true
		}
	}
	return 0, false
}

// lockEntry waits for the exclusive lock of the entry whose code file is
// code and returns its release. The lock file is opened read-only (flock
// needs no more) and made readable by all, as the entries are.
func lockEntry(code string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(code), 0o700); err != nil {
		return nil, fmt.Errorf("creating the compile cache directory: %w", err)
	}
	f, err := os.OpenFile(strings.TrimSuffix(code, cacheCodeSuffix)+cacheLockSuffix, os.O_RDONLY|os.O_CREATE, entryMode)
	if err != nil {
		return nil, fmt.Errorf("opening the cache entry's lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the cache entry: %w", err)
	}
	return func() { f.Close() }, nil
}

// store serializes v into the entry (code, sum) of cache.
func (c codec[T]) store(cache *Cache, code, sum string, v T) error {
	data, release, err := c.serialize(v)
	if err != nil {
		return err
	}
	defer release()
	return storeEntry(cache.dir, code, sum, cache.boot(), data)
}
