package capi

/*
#include "capi.h"
*/
import "C"

import (
	"runtime"
	"syscall"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtime-go's Config is a single wasm_config_t pointer (its only field):
// the build fails here if its size changes, and the layout test checks the
// field.
const _ = unsafe.Sizeof(wasmtime.Config{}) - unsafe.Sizeof(uintptr(0)) +
	(unsafe.Sizeof(uintptr(0)) - unsafe.Sizeof(wasmtime.Config{}))

// ModuleConfigID identifies the compiled-code format of core modules
// compiled by an engine of NewModuleEngine: the wasmtime version, the
// engine settings and the host target. It is part of every compile-cache
// key, so bumping wasmtime or changing the engine configuration invalidates
// the cache. The instance allocator does not change compiled code (the
// memory reservation and guards stay wasmtime's defaults), so the on-demand
// fallback shares the pooling engine's entries; wasmtime checks
// compatibility again when it deserializes.
const ModuleConfigID = "wasmtime-go/" + WasmtimeGoVersion + ";engine=default+epoch;alloc=pooling;target=" + runtime.GOOS + "/" + runtime.GOARCH

// NewModuleEngine returns an engine for core modules and how many instances
// it can hold at once. It uses the pooling allocator unless the pool's
// address space cannot be reserved; the engine then instantiates on demand
// and slots is 0 (no limit). Any setting changed here must be reflected in
// ModuleConfigID.
func NewModuleEngine() (engine *wasmtime.Engine, slots int) {
	return NewModuleEngineKeeping(PoolKeepResident)
}

// NewModuleEngineKeeping is NewModuleEngine whose pool resets
// keepResident bytes of each freed memory in place (PoolKeepResident at
// most; a module that writes less of its memory costs less with less:
// the reset writes every byte it keeps).
func NewModuleEngineKeeping(keepResident int) (engine *wasmtime.Engine, slots int) {
	engine, slots, _ = newModuleEngine(Optimized, keepResident) // only Winch's can fail
	return engine, slots
}

// NewModuleEngineAt is NewModuleEngine compiling at tier t: the same
// settings (epoch interruption, the pooling allocator when it fits) for
// each tier, so the same guards hold on any code. A Winch engine loads
// Winch code, Cranelift's (Optimized, Fast) load code of both their tiers;
// only a Winch engine can fail (WinchUsable).
func NewModuleEngineAt(t Tier) (engine *wasmtime.Engine, slots int, err error) {
	return newModuleEngine(t, PoolKeepResident)
}

// newModuleEngine is NewModuleEngineAt whose pool resets keepMemory bytes
// of each freed memory in place.
func newModuleEngine(t Tier, keepMemory int) (*wasmtime.Engine, int, error) {
	cfg, err := newModuleConfig(t)
	if err != nil {
		return nil, 0, err
	}
	if !poolingFits() {
		return wasmtime.NewEngineWithConfig(cfg), 0, nil
	}
	usePooling(cfg, min(keepMemory, PoolKeepResident), PoolKeepResident)
	return wasmtime.NewEngineWithConfig(cfg), poolSlots, nil
}

// NewModuleCompileEngine returns an engine that compiles core modules at
// tier t for the compile cache, whose code NewModuleEngineAt(t)'s engines
// load. It instantiates nothing, so it reserves no instance pool.
func NewModuleCompileEngine(t Tier) (*wasmtime.Engine, error) {
	cfg, err := newModuleConfig(t)
	if err != nil {
		return nil, err
	}
	return wasmtime.NewEngineWithConfig(cfg), nil
}

// newModuleConfig is the config of this package's module engines
// compiling at tier t.
func newModuleConfig(t Tier) (*wasmtime.Config, error) {
	cfg := wasmtime.NewConfig()
	// Epoch interruption lets a runaway guest be stopped (NewSharedStore).
	cfg.SetEpochInterruption(true)
	if err := setModuleTier(cfg, t); err != nil {
		return nil, err // cfg's finalizer frees it
	}
	return cfg, nil
}

// The pooling allocator keeps a fixed set of instance slots (memory, table,
// instance) reserved and reuses them, so a request's Store costs no mmap and
// munmap of a 4 GiB memory reservation (with its page-table and TLB work,
// serialised across threads). Its limits are set well above what Spin
// modules use, so that modules the on-demand allocator runs still run:
const (
	// poolSlots is how many instances can exist at once (wasmtime's
	// default); callers queue requests beyond it instead of failing.
	poolSlots = 1000
	// poolMaxMemory is the wasm32 maximum memory size.
	poolMaxMemory = 4 << 30
	// poolTableElements bounds a table: Go's wasm port has one entry per
	// function (~6,000 for a small program).
	poolTableElements = 1 << 20
	// poolMaxInstanceSize bounds the VM context, which grows with the
	// number of functions (wasmtime's default is 1 MiB); it is a limit, not
	// a reservation.
	poolMaxInstanceSize = 64 << 20
	// poolPerModule bounds a module's memories and tables (wasmtime's
	// default is 1; multi-memory and reference types allow more). Like the
	// instance size, it reserves nothing.
	poolPerModule = 8
	// PoolKeepResident is how much of each freed memory and table the pool
	// resets in place (copying the initial contents back, zeroing the
	// rest; for a core module's memory at most: NewModuleEngineKeeping)
	// instead of giving it back to the kernel, so that the next
	// instance in the slot starts on resident, writable pages. Pages given
	// back are faulted in again by the next instance one by one, and a
	// write to a copy-on-write page of the memory image also flushes the
	// TLBs of the process's other threads. On 2 cores (wrk -c50), raising
	// it from 64 KiB to 8 MiB took the Rust module from ~4,200 to ~9,300
	// requests/s, the Go wasip1 module from 390 to 775, the JS component
	// (which writes ~8 MiB of its memory per request) from 179 to 1,371;
	// 16 MiB gained the JS component nothing more. The cost: each slot an
	// app has used keeps that much (or its whole memory, if smaller)
	// resident while idle.
	PoolKeepResident = 8 << 20
	// PoolDecommitBatch is how many freed regions (the parts of memories
	// and tables beyond what is reset in place) the pool gives back to the
	// kernel at once; their slots are reused only then. One by one
	// (wasmtime's default), every freed instance made an madvise call, and
	// a call made while another thread's was under way had the kernel
	// flush the TLBs of every CPU running the process, by interrupts (dear
	// in a VM). Batched, the calls are rarely concurrent: hello under wrk
	// -t2 -c50 outside containers took 0.002 such interrupts a request
	// instead of 0.05 and 8–10 % less server CPU. The cost: up to
	// PoolDecommitBatch-1 freed regions stay resident until the next batch
	// or the pool's renewal when idle.
	PoolDecommitBatch = 4
	// poolSlotReservation over-estimates the address space per slot:
	// memory (4 GiB + guard pages) and table (8 bytes per element).
	poolSlotReservation = poolMaxMemory + 256<<20 + 8*poolTableElements
)

// A component instance holds several core instances, memories and tables
// (a JS component: 4 core modules, 1 memory). The component pool has
// poolSlots component instances, and per component instance on average
// what these allow; a component beyond them at full concurrency fails to
// instantiate with Wasmtime's error naming the limit.
const (
	poolCoresPerComponent    = 4
	poolMemoriesPerComponent = 1
	poolTablesPerComponent   = 4
	// poolMaxPerComponent bounds one component instance's core
	// instances, memories and tables (composed components have one
	// memory per inner component); it reserves nothing.
	poolMaxPerComponent = 64
)

// newPoolConfig returns the pool settings that core module and component
// engines share, resetting keepMemory bytes of each freed memory and
// keepTable bytes of each freed table in place; the caller deletes it.
func newPoolConfig(keepMemory, keepTable int) *C.wasmtime_pooling_allocation_config_t {
	p := C.wasmtime_pooling_allocation_config_new()
	C.wasmtime_pooling_allocation_config_total_core_instances_set(p, poolSlots)
	C.wasmtime_pooling_allocation_config_total_memories_set(p, poolSlots)
	C.wasmtime_pooling_allocation_config_total_tables_set(p, poolSlots)
	// The engine runs no async code, yet the pool would reserve wasmtime's
	// default 1000 async stacks, each with a guard page: 1000 mprotect calls
	// and 2000 memory mappings at every app start, half its CPU time.
	C.wasmtime_pooling_allocation_config_total_stacks_set(p, 0)
	C.wasmtime_pooling_allocation_config_max_memory_size_set(p, poolMaxMemory)
	C.wasmtime_pooling_allocation_config_table_elements_set(p, poolTableElements)
	C.wasmtime_pooling_allocation_config_max_core_instance_size_set(p, poolMaxInstanceSize)
	C.wasmtime_pooling_allocation_config_max_memories_per_module_set(p, poolPerModule)
	C.wasmtime_pooling_allocation_config_max_tables_per_module_set(p, poolPerModule)
	C.wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(p, C.size_t(keepMemory))
	C.wasmtime_pooling_allocation_config_table_keep_resident_set(p, C.size_t(keepTable))
	C.wasmtime_pooling_allocation_config_decommit_batch_size_set(p, PoolDecommitBatch)
	return p
}

// usePooling configures cfg, which must be fresh, for the pooling allocator
// keeping keepMemory bytes of each freed memory and keepTable bytes of each
// freed table resident.
func usePooling(cfg *wasmtime.Config, keepMemory, keepTable int) {
	p := newPoolConfig(keepMemory, keepTable)
	C.wasmtime_pooling_allocation_strategy_set(configPtr(cfg), p)
	C.wasmtime_pooling_allocation_config_delete(p)
	runtime.KeepAlive(cfg)
}

// useComponentPooling configures cfg for the pooling allocator with room
// for slots component instances at once.
func useComponentPooling(cfg *C.wasm_config_t, slots int) {
	p := newPoolConfig(PoolKeepResident, PoolKeepResident)
	C.wasmtime_pooling_allocation_config_total_component_instances_set(p, C.uint32_t(slots))
	C.wasmtime_pooling_allocation_config_total_core_instances_set(p, C.uint32_t(slots*poolCoresPerComponent))
	C.wasmtime_pooling_allocation_config_total_memories_set(p, C.uint32_t(slots*poolMemoriesPerComponent))
	C.wasmtime_pooling_allocation_config_total_tables_set(p, C.uint32_t(slots*poolTablesPerComponent))
	C.wasmtime_pooling_allocation_config_max_component_instance_size_set(p, poolMaxInstanceSize)
	C.wasmtime_pooling_allocation_config_max_core_instances_per_component_set(p, poolMaxPerComponent)
	C.wasmtime_pooling_allocation_config_max_memories_per_component_set(p, poolMaxPerComponent)
	C.wasmtime_pooling_allocation_config_max_tables_per_component_set(p, poolMaxPerComponent)
	C.wasmtime_pooling_allocation_strategy_set(cfg, p)
	C.wasmtime_pooling_allocation_config_delete(p)
}

// poolingFits reports whether the process can reserve the pool's address
// space (about 4 TiB): wasmtime reserves it when the Engine is created and
// aborts the process if it cannot, e.g. under a ulimit -v or with a 39-bit
// address space.
func poolingFits() bool {
	const size = poolSlots * poolSlotReservation * 5 / 4
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_NONE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return false
	}
	_ = syscall.Munmap(b)
	return true
}
