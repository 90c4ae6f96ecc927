package engine

/*
// The pooling-allocator part of Wasmtime's C API (wasmtime/config.h as
// shipped with wasmtime-go v39.0.1), linked from wasmtime-go's libwasmtime.a.
#include <stddef.h>
#include <stdint.h>

typedef struct wasm_config_t wasm_config_t;
typedef struct wasmtime_pooling_allocation_config_t wasmtime_pooling_allocation_config_t;

extern wasmtime_pooling_allocation_config_t *wasmtime_pooling_allocation_config_new(void);
extern void wasmtime_pooling_allocation_config_delete(wasmtime_pooling_allocation_config_t *);
extern void wasmtime_pooling_allocation_strategy_set(wasm_config_t *, const wasmtime_pooling_allocation_config_t *);
extern void wasmtime_pooling_allocation_config_total_core_instances_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_total_memories_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_total_tables_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_max_memory_size_set(wasmtime_pooling_allocation_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_table_elements_set(wasmtime_pooling_allocation_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_max_core_instance_size_set(wasmtime_pooling_allocation_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_max_memories_per_module_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_max_tables_per_module_set(wasmtime_pooling_allocation_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(wasmtime_pooling_allocation_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_table_keep_resident_set(wasmtime_pooling_allocation_config_t *, size_t);
*/
import "C"

import (
	"syscall"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtime-go's Config is a single wasm_config_t pointer (its only field):
// the build fails here if that ever changes.
const _ = unsafe.Sizeof(wasmtime.Config{}) - unsafe.Sizeof(uintptr(0)) +
	(unsafe.Sizeof(uintptr(0)) - unsafe.Sizeof(wasmtime.Config{}))

// The pooling allocator keeps a fixed set of instance slots (memory, table,
// instance) reserved and reuses them, so a request's Store costs no mmap and
// munmap of a 4 GiB memory reservation (with its page-table and TLB work,
// serialised across threads). Its limits are set well above what Spin
// modules use, so that modules the on-demand allocator runs still run:
const (
	// poolSlots is how many instances can exist at once (wasmtime's
	// default); host.slots queues requests beyond it instead of failing.
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
	// poolKeepResident is how much of a freed memory or table is reset in
	// place rather than released with madvise, whose TLB shootdowns cost
	// more than zeroing a few pages in a multi-threaded process (hello
	// under wrk: ~10k -> ~15k requests/s). What stays resident is bounded
	// by wasmtime's 100 warm slots: ~13 MiB.
	poolKeepResident = 64 << 10
	// poolSlotReservation over-estimates the address space per slot:
	// memory (4 GiB + guard pages) and table (8 bytes per element).
	poolSlotReservation = poolMaxMemory + 256<<20 + 8*poolTableElements
)

// usePooling configures cfg, which must be fresh, for the pooling allocator.
func usePooling(cfg *wasmtime.Config) {
	ptr := *(**C.wasm_config_t)(unsafe.Pointer(cfg))
	p := C.wasmtime_pooling_allocation_config_new()
	C.wasmtime_pooling_allocation_config_total_core_instances_set(p, poolSlots)
	C.wasmtime_pooling_allocation_config_total_memories_set(p, poolSlots)
	C.wasmtime_pooling_allocation_config_total_tables_set(p, poolSlots)
	C.wasmtime_pooling_allocation_config_max_memory_size_set(p, poolMaxMemory)
	C.wasmtime_pooling_allocation_config_table_elements_set(p, poolTableElements)
	C.wasmtime_pooling_allocation_config_max_core_instance_size_set(p, poolMaxInstanceSize)
	C.wasmtime_pooling_allocation_config_max_memories_per_module_set(p, poolPerModule)
	C.wasmtime_pooling_allocation_config_max_tables_per_module_set(p, poolPerModule)
	C.wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(p, poolKeepResident)
	C.wasmtime_pooling_allocation_config_table_keep_resident_set(p, poolKeepResident)
	C.wasmtime_pooling_allocation_strategy_set(ptr, p)
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
