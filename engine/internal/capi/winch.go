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

// configPtr is the wasm_config_t of a wasmtime-go Config (its only field,
// see pooling.go).
func configPtr(cfg *wasmtime.Config) *C.wasm_config_t {
	return *(**C.wasm_config_t)(unsafe.Pointer(cfg))
}
