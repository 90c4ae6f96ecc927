package capi

/*
#include "capi.h"
#include <stdlib.h>
*/
import "C"

import (
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Tier is how hard the compiler optimises: what a start waits for versus
// how fast the code then runs. The pinned C API cannot select Wasmtime's
// baseline compiler (Winch; its strategy setter always selects Cranelift,
// see compilefloor.go), so both tiers are Cranelift's.
type Tier uint8

const (
	// Optimized is Cranelift's default optimisation: the code to keep.
	Optimized Tier = iota
	// Fast skips Cranelift's optimisations and allocates registers in a
	// single pass: about half of Optimized's compile time (a 12 MB JS
	// component), for slower code. Wasmtime does not compare these two
	// settings when it deserializes code, so engines of either tier load
	// code of both: an app starts on fast code and its later starts load
	// the optimised code once that is cached.
	Fast
)

func (t Tier) String() string {
	if t == Fast {
		return "fast"
	}
	return "optimized"
}

// tierConfigID is the configID of code of tier t: optimised code keeps the
// engine's id (the entries written before tiers existed).
func tierConfigID(configID string, t Tier) string {
	if t == Fast {
		return configID + ";tier=fast"
	}
	return configID
}

// Cranelift's settings for the fast tier.
const (
	regallocFlag       = "regalloc_algorithm"
	regallocSinglePass = "single_pass"
)

// setTier configures cfg, a fresh config, to compile at tier t.
func setTier(cfg *C.wasm_config_t, t Tier) {
	if t != Fast {
		return
	}
	C.wasmtime_config_cranelift_opt_level_set(cfg, C.WASMTIME_OPT_LEVEL_NONE)
	key, value := C.CString(regallocFlag), C.CString(regallocSinglePass)
	defer C.free(unsafe.Pointer(key))
	defer C.free(unsafe.Pointer(value))
	C.wasmtime_config_cranelift_flag_set(cfg, key, value)
}

// setModuleTier is setTier for a wasmtime-go Config.
func setModuleTier(cfg *wasmtime.Config, t Tier) {
	if t != Fast {
		return
	}
	cfg.SetCraneliftOptLevel(wasmtime.OptLevelNone)
	cfg.SetCraneliftFlag(regallocFlag, regallocSinglePass)
}
