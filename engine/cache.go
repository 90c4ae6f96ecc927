package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// newEngine returns the one Engine of an App and how many instances it can
// hold at once (0: no limit): see capi.NewModuleEngine.
func newEngine(ctx context.Context) (*wasmtime.Engine, int) {
	engine, slots := capi.NewModuleEngine()
	if slots == 0 {
		log.G(ctx).Warn("cannot reserve address space for the wasm instance pool: instantiating on demand (slower)")
	}
	return engine, slots
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

// module returns the compiled module for wasm, compiling it (or loading it
// from the cache) at most once.
func (c *compiler) module(ctx context.Context, wasm []byte) (*wasmtime.Module, error) {
	digest := sha256Hex(wasm)
	if m, ok := c.modules[digest]; ok {
		return m, nil
	}
	m, _, err := capi.CompileModule(ctx, c.engine, wasm, c.cacheDir)
	if err != nil {
		return nil, err
	}
	c.modules[digest] = m
	return m, nil
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
