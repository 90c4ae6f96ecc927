package capi

/*
#include "capi.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// The pinned C API's wasmtime_config_strategy_set ignores its argument: its
// whole body stores Some(Strategy::Cranelift) (1) into the strategy byte of
// the Rust Config at this offset (measured on x86_64), so Winch, compiled
// into the library, is not selectable through it. selectWinch writes
// Some(Strategy::Winch), 2, there itself.
const (
	strategyOffset    = 0x179
	strategyCranelift = 1
	strategyWinch     = 2
)

// errWinchLayout: the library is not the one whose layout was measured.
var errWinchLayout = errors.New("the wasmtime library's config layout is not the one measured")

// selectWinch writes Some(Strategy::Winch) into cfg's strategy byte, after
// checking that the byte is the one wasmtime_config_strategy_set writes (in
// another config): a library whose layout differs gets an error, never a
// stray write.
func selectWinch(cfg *C.wasm_config_t) error {
	if err := WinchUsable(); err != nil {
		return err
	}
	if *strategyByte(cfg) != strategyCranelift {
		return fmt.Errorf("select Winch: %w", errWinchLayout)
	}
	*strategyByte(cfg) = strategyWinch
	return nil
}

func strategyByte(cfg *C.wasm_config_t) *uint8 {
	return (*uint8)(unsafe.Add(unsafe.Pointer(cfg), strategyOffset))
}

// WinchUsable reports why this process cannot compile with Winch, or nil:
// Winch is used on x86_64 only (where wasmtime supports it best and where
// the config layout was measured), and only when a probe config shows the
// strategy byte where it was measured. Callers fall back to Fast.
func WinchUsable() error {
	if runtime.GOARCH != "amd64" {
		return fmt.Errorf("select Winch: used on amd64 only, not %s", runtime.GOARCH)
	}
	probe := C.wasm_config_new()
	defer C.wasm_config_delete(probe)
	// Both states of the byte are checked: a fresh config's is Cranelift's,
	// and the setter writes Cranelift's over Winch's.
	if *strategyByte(probe) != strategyCranelift {
		return fmt.Errorf("select Winch: %w", errWinchLayout)
	}
	*strategyByte(probe) = strategyWinch
	C.wasmtime_config_strategy_set(probe, 0)
	if *strategyByte(probe) != strategyCranelift {
		return fmt.Errorf("select Winch: %w", errWinchLayout)
	}
	return nil
}

// FastTier is the tier a first start compiles: Winch where it is usable,
// else Cranelift's Fast, with why.
func FastTier() (Tier, error) {
	if err := WinchUsable(); err != nil {
		return Fast, err
	}
	return Winch, nil
}

// Winch compiles the wasm functions; the trampolines between host and
// wasm (many in a component) are still Cranelift's, compiled here with the
// fast tier's settings, which take less CPU (BenchmarkCompile's winch
// rows). Wasmtime does not compare these settings on load.

// NewWinchEngine creates an Engine that compiles and loads Winch code only,
// with epoch interruption on like NewEngine's.
func NewWinchEngine() (*Engine, error) {
	cfg := C.wasm_config_new()
	C.wasmtime_config_epoch_interruption_set(cfg, true)
	setTier(cfg, Fast)
	if err := selectWinch(cfg); err != nil {
		C.wasm_config_delete(cfg)
		return nil, err
	}
	return &Engine{ptr: C.wasm_engine_new_with_config(cfg), tier: Winch}, nil
}

// configPtr is the wasm_config_t of a wasmtime-go Config (its only field,
// see pooling.go).
func configPtr(cfg *wasmtime.Config) *C.wasm_config_t {
	return *(**C.wasm_config_t)(unsafe.Pointer(cfg))
}

// NewWinchModuleCompileEngine is NewModuleCompileEngine for Winch code.
func NewWinchModuleCompileEngine() (*wasmtime.Engine, error) {
	cfg := wasmtime.NewConfig()
	cfg.SetEpochInterruption(true)
	setModuleTier(cfg, Fast)
	err := selectWinch(configPtr(cfg))
	runtime.KeepAlive(cfg)
	if err != nil {
		return nil, err // cfg's finalizer frees it
	}
	return wasmtime.NewEngineWithConfig(cfg), nil
}

// NewWinchModuleEngine is NewModuleEngine for Winch code: the same
// settings (epoch interruption, the pooling allocator when it fits), so
// the same guards hold on either code.
func NewWinchModuleEngine() (engine *wasmtime.Engine, slots int, err error) {
	cfg := wasmtime.NewConfig()
	cfg.SetEpochInterruption(true)
	setModuleTier(cfg, Fast)
	err = selectWinch(configPtr(cfg))
	runtime.KeepAlive(cfg)
	if err != nil {
		return nil, 0, err
	}
	if !poolingFits() {
		return wasmtime.NewEngineWithConfig(cfg), 0, nil
	}
	usePooling(cfg)
	return wasmtime.NewEngineWithConfig(cfg), poolSlots, nil
}
