package engine

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// guest gives bounds-checked access to an instance's memory and its
// canonical ABI allocator (spin-abi.md §2.5).
type guest struct {
	store   wasmtime.Storelike // a Store, or a Caller inside a host import
	mem     *wasmtime.Memory
	realloc *wasmtime.Func
	free    *wasmtime.Func
}

func newGuest(store wasmtime.Storelike, inst *wasmtime.Instance) (*guest, error) {
	g := &guest{store: store}
	if ext := inst.GetExport(store, exportMemory); ext != nil {
		g.mem = ext.Memory()
	}
	g.realloc = inst.GetFunc(store, exportRealloc)
	g.free = inst.GetFunc(store, exportFree)
	if g.mem == nil || g.realloc == nil || g.free == nil {
		return nil, errors.New(errSpinIncompatible)
	}
	return g, nil
}

// callerGuest is the guest calling a host import: its memory and allocator,
// for reading arguments and returning strings and lists (spin-abi.md §6.1).
func callerGuest(c *wasmtime.Caller) (*guest, error) {
	g := &guest{store: c}
	if ext := c.GetExport(exportMemory); ext != nil {
		g.mem = ext.Memory()
	}
	if ext := c.GetExport(exportRealloc); ext != nil {
		g.realloc = ext.Func()
	}
	if g.mem == nil || g.realloc == nil {
		return nil, fmt.Errorf("the calling module does not export %q and %q", exportMemory, exportRealloc)
	}
	return g, nil
}

// write copies b into guest memory at ptr.
func (g *guest) write(ptr uint32, b []byte) error {
	dst, err := g.slice(ptr, uint32(len(b)))
	if err != nil {
		return err
	}
	copy(dst, b)
	return nil
}

// slice returns guest memory [ptr, ptr+n) without copying; it is only
// valid until the next call into the guest.
func (g *guest) slice(ptr, n uint32) ([]byte, error) {
	data := g.mem.UnsafeData(g.store)
	if uint64(ptr)+uint64(n) > uint64(len(data)) {
		return nil, fmt.Errorf("guest pointer out of bounds: %#x+%d > %d", ptr, n, len(data))
	}
	return data[ptr : ptr+n], nil
}

// read copies n bytes at ptr out of guest memory.
func (g *guest) read(ptr, n uint32) ([]byte, error) {
	b, err := g.slice(ptr, n)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

// alloc calls canonical_abi_realloc(0, 0, align, size). It is called even
// for size 0 so that the guest gets its non-null dummy pointer.
func (g *guest) alloc(align, size uint32) (uint32, error) {
	ptr, err := callI32(g.store, g.realloc, 1, 0, 0, int32(align), int32(size))
	if err != nil {
		return 0, fmt.Errorf("canonical_abi_realloc: %w", err)
	}
	return uint32(ptr), nil
}

// put allocates len(data) bytes with the given alignment and copies data in.
func (g *guest) put(data []byte, align uint32) (uint32, error) {
	ptr, err := g.alloc(align, uint32(len(data)))
	if err != nil {
		return 0, err
	}
	dst, err := g.slice(ptr, uint32(len(data)))
	if err != nil {
		return 0, fmt.Errorf("canonical_abi_realloc result: %w", err)
	}
	copy(dst, data)
	return ptr, nil
}

// putPairs writes a list<tuple<string,string>>: the 16-byte tuple array
// (align 4) and each string (align 1). It returns the array pointer.
func (g *guest) putPairs(pairs [][2]string) (uint32, error) {
	tuples := make([]byte, 16*len(pairs))
	for i, p := range pairs {
		for j, s := range p {
			ptr, err := g.put([]byte(s), 1)
			if err != nil {
				return 0, err
			}
			binary.LittleEndian.PutUint32(tuples[16*i+8*j:], ptr)
			binary.LittleEndian.PutUint32(tuples[16*i+8*j+4:], uint32(len(s)))
		}
	}
	return g.put(tuples, 4)
}

// readPairs reads count 16-byte tuples at ptr as strings.
func (g *guest) readPairs(ptr, count uint32) ([][2]string, error) {
	if uint64(count)*16 > 1<<32-1 {
		return nil, fmt.Errorf("guest list too long: %d", count)
	}
	tuples, err := g.read(ptr, count*16)
	if err != nil {
		return nil, err
	}
	out := make([][2]string, count)
	for i := range out {
		for j := 0; j < 2; j++ {
			p := binary.LittleEndian.Uint32(tuples[16*i+8*j:])
			n := binary.LittleEndian.Uint32(tuples[16*i+8*j+4:])
			s, err := g.read(p, n)
			if err != nil {
				return nil, err
			}
			out[i][j] = string(s)
		}
	}
	return out, nil
}

// dealloc calls canonical_abi_free(ptr, size, align).
func (g *guest) dealloc(ptr, size, align uint32) error {
	if _, err := callI32(g.store, g.free, 0, int32(ptr), int32(size), int32(align)); err != nil {
		return fmt.Errorf("canonical_abi_free: %w", err)
	}
	return nil
}
