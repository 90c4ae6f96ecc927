package coremodule

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// An instance pool resets each freed memory for the next instance: it
// writes zeros (and the initial data) over the first bytes it keeps
// resident and gives the rest back to the kernel. What fits a module is
// what its requests touch: a small guest that writes one page pays ~3 µs
// per request to zero an untouched 64 KiB memory, while a guest whose
// runtime writes megabytes pays a page fault for each page given back. So
// an instance of each module on each Host records which pages of its
// memory it touched (the Linux page map), and the App sizes its pool's
// reset from that (Component.TouchedPages). Only an instance in a slot no
// instance has used tells: a used slot's kept pages are all present, as
// the reset wrote them.

// trackedPages is how many pages from the start of a memory are tracked:
// those a pool may keep resident.
func trackedPages() int { return capi.PoolKeepResident / os.Getpagesize() }

// maxSampleTries bounds how many instances of a module on a Host are
// looked at for one in an unused slot (usually the first is: a new pool's
// slots are all unused): a module whose instantiation writes its memory
// (data not mapped from the code) never shows one.
const maxSampleTries = 8

// memoryUse is what a Component's sampled instances touched of their
// memory.
type memoryUse struct {
	mu      sync.Mutex
	samples int
	// touched has a bit for each tracked page touched.
	touched []uint64
	// tries counts the instances on Host tried for a sample.
	host  *Host
	tries int
}

// memorySample is a sampled instance's memory, read when its Store closes.
type memorySample struct {
	comp *Component
	mem  *wasmtime.Memory
}

// sampleMemory marks store's instance inst of c for sampling if it is in
// an unused slot and c has no sample from an instance on store's Host yet
// (of which it tries maxSampleTries).
func (c *Component) sampleMemory(store *Store, inst *wasmtime.Instance) {
	h := store.host
	if c.sampledOn.Load() == h {
		return
	}
	u := &c.memoryUse
	u.mu.Lock()
	defer u.mu.Unlock()
	if c.sampledOn.Load() == h {
		return
	}
	if u.host != h {
		u.host, u.tries = h, 0
	}
	if u.tries++; u.tries >= maxSampleTries {
		c.sampledOn.Store(h) // give up on this Host
	}
	ext := inst.GetExport(store, ExportMemory)
	if ext == nil || ext.Memory() == nil {
		c.sampledOn.Store(h)
		return
	}
	pages, err := readPageMap(trackedMemory(ext.Memory(), store))
	if err != nil {
		c.sampledOn.Store(h)
		return
	}
	if pages.anyWritten() {
		return // a used slot
	}
	c.sampledOn.Store(h)
	store.sample = &memorySample{comp: c, mem: ext.Memory()}
}

// trackedMemory is the part of mem's data that a pool may keep resident.
func trackedMemory(mem *wasmtime.Memory, store wasmtime.Storelike) []byte {
	data := mem.UnsafeData(store)
	return data[:min(len(data), trackedPages()*os.Getpagesize())]
}

// record adds the pages the sampled instance touched to its Component's.
// A page map that cannot be read leaves nothing recorded.
func (m *memorySample) record(store wasmtime.Storelike) {
	pages, err := readPageMap(trackedMemory(m.mem, store))
	if err != nil {
		return
	}
	u := &m.comp.memoryUse
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.touched == nil {
		u.touched = make([]uint64, (trackedPages()+63)/64)
	}
	for i, w := range pages.touched {
		u.touched[i] |= w
	}
	u.samples++
}

// TouchedPages returns the indexes of the pages (of the host's page size,
// from the start of its memory, up to capi.PoolKeepResident) that c's
// sampled instances (MemorySamples) wrote, or read from its initial data
// (which a pool maps from a file). Such a page costs a fault when touched
// again if the pool gave it back.
func (c *Component) TouchedPages() []int {
	u := &c.memoryUse
	u.mu.Lock()
	defer u.mu.Unlock()
	var pages []int
	for i := range 64 * len(u.touched) {
		if u.touched[i/64]&(1<<(i%64)) != 0 {
			pages = append(pages, i)
		}
	}
	return pages
}

// MemorySamples is how many of c's instances have recorded the pages they
// touched: TouchedPages changes only when it does.
func (c *Component) MemorySamples() int {
	u := &c.memoryUse
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.samples
}

// Page map entry bits (the kernel's Documentation/admin-guide/mm/pagemap).
const (
	pagePresent   = 1 << 63
	pageFileBack  = 1 << 61
	pageExclusive = 1 << 56
)

// pageMap is what the page map says of the pages of a memory: a bit per
// page, from its start.
type pageMap struct {
	// written: present, and mapped by this process alone, not a file's.
	written []uint64
	// touched: written, or read from a file (a memory's initial data is
	// mapped from the code): present, and either the file's or the
	// process's alone. A page of anonymous memory read but never written
	// is the kernel's shared zero page: present, neither.
	touched []uint64
}

// anyWritten reports whether some page was written.
func (m pageMap) anyWritten() bool {
	for _, w := range m.written {
		if w != 0 {
			return true
		}
	}
	return false
}

// readPageMap reads the page map of mem, which must start on a page.
func readPageMap(mem []byte) (pageMap, error) {
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return pageMap{}, err
	}
	defer f.Close()
	page := os.Getpagesize()
	n := (len(mem) + page - 1) / page
	entries := make([]byte, 8*n)
	if n > 0 {
		first := uintptr(unsafe.Pointer(unsafe.SliceData(mem))) / uintptr(page)
		if _, err := f.ReadAt(entries, int64(first)*8); err != nil {
			return pageMap{}, fmt.Errorf("read the page map: %w", err)
		}
	}
	m := pageMap{written: make([]uint64, (n+63)/64), touched: make([]uint64, (n+63)/64)}
	for i := range n {
		e := binary.NativeEndian.Uint64(entries[8*i:])
		if e&pagePresent == 0 {
			continue
		}
		if e&pageExclusive != 0 && e&pageFileBack == 0 {
			m.written[i/64] |= 1 << (i % 64)
		}
		if e&(pageExclusive|pageFileBack) != 0 {
			m.touched[i/64] |= 1 << (i % 64)
		}
	}
	return m, nil
}
