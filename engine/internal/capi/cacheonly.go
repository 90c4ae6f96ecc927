package capi

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
)

// ErrNotCached is returned by the Load* functions when the compile cache
// has no usable entry for the wasm: missing, partial or corrupt.
var ErrNotCached = errors.New("compiled code is not in the compile cache")

// LoadCachedModule loads a core module's compiled code from the cache in
// dir, never compiling it: an app process that must not write the cache
// learns this way that its compile stage has to run first.
func LoadCachedModule(ctx context.Context, engine *wasmtime.Engine, wasm []byte, dir string) (*wasmtime.Module, error) {
	return loadCached(ctx, dir, wasm, "module", ModuleConfigID, func(path string) (*wasmtime.Module, error) {
		return wasmtime.NewModuleDeserializeFile(engine, path)
	}, retainModule)
}

// LoadCachedComponent is LoadCachedModule for a component.
func LoadCachedComponent(ctx context.Context, e *Engine, wasm []byte, dir string) (*Component, error) {
	return loadCached(ctx, dir, wasm, "component", ComponentConfigID, e.DeserializeFile, retainComponent)
}

// loadCached loads wasm's entry from dir after checking it (loadEntry); it
// holds the entry's lock through retain for as long as the code lives.
func loadCached[T any](ctx context.Context, dir string, wasm []byte, kind, configID string, deserializeFile func(string) (T, error), retain func(T, *os.File)) (T, error) {
	var zero T
	if dir == "" {
		return zero, ErrNotCached
	}
	code, sum := CacheFiles(dir, wasm, configID)
	v, lock, err := loadEntry(code, sum, deserializeFile)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			log.G(ctx).WithField("cache", code).WithError(err).Warnf("unusable %s cache entry: it will be compiled again", kind)
		}
		return zero, fmt.Errorf("%s %s: %w", kind, code, ErrNotCached)
	}
	retain(v, lock)
	log.G(ctx).WithField("cache", code).Debugf("loaded compiled %s from cache", kind)
	return v, nil
}
