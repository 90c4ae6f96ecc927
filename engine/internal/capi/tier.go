package capi

/*
#include "capi.h"
#include <stdlib.h>
*/
import "C"

import (
	"runtime"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Tier is how a module or component was compiled: what a start waits for
// versus how fast the code then runs.
type Tier uint8

const (
	// Optimized is Cranelift's default optimisation: the code to keep.
	Optimized Tier = iota
	// Fast skips Cranelift's optimisations and allocates registers in a
	// single pass: about half of Optimized's compile time (a 12 MB JS
	// component), for slower code. Wasmtime does not compare these two
	// settings when it deserializes code, so Cranelift engines of either
	// tier load code of both. It is the fast tier where Winch is not
	// usable (WinchUsable).
	Fast
	// Winch is Wasmtime's baseline compiler: a single pass over the wasm,
	// 3–4× faster to compile than Fast (a 12 MB JS component: ~1 s against
	// ~2.7 s; a 2.6 MB Go module: 0.13 s against 0.40 s), for code slower
	// than Fast's. Wasmtime compares the compiler when it deserializes,
	// so Winch code loads only into Winch engines (NewEngineAt(Winch),
	// NewModuleEngineAt(Winch)) and Cranelift engines refuse it: moving to the
	// optimised code means moving to another engine.
	Winch
)

func (t Tier) String() string {
	switch t {
	case Fast:
		return "fast"
	case Winch:
		return "winch"
	}
	return "optimized"
}

// tierConfigID is the configID of code of tier t: optimised code keeps the
// engine's id (the entries written before tiers existed). Each tier has
// its own entries, so Winch code never stands where Cranelift's is looked
// for.
func tierConfigID(configID string, t Tier) string {
	switch t {
	case Fast:
		return configID + ";tier=fast"
	case Winch:
		return configID + ";tier=winch"
	}
	return configID
}

// Cranelift's settings for the fast tier.
const (
	regallocFlag       = "regalloc_algorithm"
	regallocSinglePass = "single_pass"
)

// setTier configures cfg, a fresh config, to compile at tier t. Winch
// compiles the wasm functions; the trampolines between host and wasm (many
// in a component) are still Cranelift's, compiled with the fast tier's
// settings, which take less CPU (BenchmarkCompile's winch rows). Wasmtime
// does not compare these settings on load. Only Winch can fail: see
// selectWinch.
func setTier(cfg *C.wasm_config_t, t Tier) error {
	if t == Optimized {
		return nil
	}
	C.wasmtime_config_cranelift_opt_level_set(cfg, C.WASMTIME_OPT_LEVEL_NONE)
	key, value := C.CString(regallocFlag), C.CString(regallocSinglePass)
	defer C.free(unsafe.Pointer(key))
	defer C.free(unsafe.Pointer(value))
	C.wasmtime_config_cranelift_flag_set(cfg, key, value)
	if t == Winch {
		return selectWinch(cfg)
	}
	return nil
}

// setModuleTier is setTier for a wasmtime-go Config.
func setModuleTier(cfg *wasmtime.Config, t Tier) error {
	if t == Optimized {
		return nil
	}
	cfg.SetCraneliftOptLevel(wasmtime.OptLevelNone)
	cfg.SetCraneliftFlag(regallocFlag, regallocSinglePass)
	if t != Winch {
		return nil
	}
	err := selectWinch(configPtr(cfg))
	runtime.KeepAlive(cfg)
	return err
}
