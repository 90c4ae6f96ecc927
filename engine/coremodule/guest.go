package coremodule

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// Guest gives bounds-checked access to an instance's memory and its
// canonical ABI allocator.
type Guest struct {
	store   wasmtime.Storelike // a Store, or a Caller inside a host import
	ctx     capi.StoreContext
	mem     *wasmtime.Memory
	realloc *wasmtime.Func
	free    *wasmtime.Func
	typed   bool // the module's exports have the Spin signatures (Component.Typed)
	// scratch holds the arguments and results of calls into the guest
	// (which go to C, so Go would otherwise allocate them each time); a
	// Guest reused for many requests (InitGuest) keeps it.
	scratch []int32
	ptrs    []uint32 // PutArgs's results, likewise
}

// Guest returns inst's memory and allocator; typed: see Component.Typed.
func (h *Host) Guest(store wasmtime.Storelike, inst *wasmtime.Instance, typed bool) (*Guest, error) {
	g := &Guest{
		typed:   typed,
		store:   store,
		ctx:     capi.ContextOf(store),
		mem:     capi.LookupMemory(store, inst, ExportMemory),
		realloc: capi.LookupFunc(store, inst, ExportRealloc),
		free:    capi.LookupFunc(store, inst, ExportFree),
	}
	if g.mem == nil || g.realloc == nil || g.free == nil {
		return nil, errors.New(SpinIncompatible)
	}
	return g, nil
}

// InitGuest makes g the guest of an instance in s with memory mem and the
// allocator realloc and free (exports looked up with LookupExports; free
// may be nil when the guest frees nothing the host returns, and DeallocAll
// is then not called); typed: see Component.Typed. g may have served
// another request before: its scratch space is kept.
func (s *Store) InitGuest(g *Guest, mem *wasmtime.Memory, realloc, free *wasmtime.Func, typed bool) {
	*g = Guest{store: s.Store, ctx: s.cx, mem: mem, realloc: realloc, free: free, typed: typed,
		scratch: g.scratch, ptrs: g.ptrs}
}

// Reset forgets the instance g was the guest of, keeping its scratch space
// for reuse unless it grew past maxBytes.
func (g *Guest) Reset(maxBytes int) {
	scratch, ptrs := g.scratch, g.ptrs
	if 4*cap(scratch) > maxBytes {
		scratch = nil
	}
	if 4*cap(ptrs) > maxBytes {
		ptrs = nil
	}
	*g = Guest{scratch: scratch[:0], ptrs: ptrs[:0]}
}

// Scratch returns n int32s of g's scratch space (see Guest.scratch): valid
// until g's next call or Scratch.
func (g *Guest) Scratch(n int) []int32 {
	if cap(g.scratch) < n {
		g.scratch = make([]int32, n, max(n, 2*cap(g.scratch)))
	}
	return g.scratch[:n]
}

// LookupExports looks up names in inst, an instance in s, into out, in one
// go.
func (s *Store) LookupExports(inst *wasmtime.Instance, names *capi.ExportNames, out *capi.Exports) {
	capi.LookupExports(s.cx, inst, names, out)
}

// callerGuest is the guest calling a host import: its memory and allocator,
// for reading arguments and returning strings and lists.
func (h *Host) callerGuest(c *wasmtime.Caller, typed bool) (*Guest, error) {
	g := &Guest{store: c, ctx: capi.ContextOf(c), typed: typed}
	if ext := c.GetExport(ExportMemory); ext != nil {
		g.mem = ext.Memory()
	}
	if ext := c.GetExport(ExportRealloc); ext != nil {
		g.realloc = ext.Func()
	} else if ext := c.GetExport(ExportCABIRealloc); ext != nil {
		g.realloc = ext.Func() // a wit-bindgen 0.8 module
	}
	if g.mem == nil || g.realloc == nil {
		return nil, fmt.Errorf("the calling module does not export %q and %q", ExportMemory, ExportRealloc)
	}
	return g, nil
}

// Memory returns the guest's memory; it is only valid until the next call
// into the guest.
func (g *Guest) Memory() []byte {
	return capi.MemoryData(g.ctx, g.mem)
}

// CallI32 calls f, one of the guest's functions that returns an i32, with
// args; with the guest's typed, wasmtime skips its type check.
func (g *Guest) CallI32(f *wasmtime.Func, args ...int32) (int32, error) {
	buf := g.Scratch(len(args) + 1)
	copy(buf, args)
	if err := capi.CallEach(g.ctx, f, g.typed, len(args), buf[:len(args)], buf[len(args):]); err != nil {
		return 0, err
	}
	return buf[len(args)], nil
}

// CallI32Memory is CallI32, and returns the guest's memory after the call
// too (see Memory), in one cgo call.
func (g *Guest) CallI32Memory(f *wasmtime.Func, args ...int32) (int32, []byte, error) {
	buf := g.Scratch(len(args) + 1)
	copy(buf, args)
	mem, err := capi.CallEachMemory(g.ctx, f, g.typed, len(args), buf[:len(args)], buf[len(args):], g.mem)
	if err != nil {
		return 0, nil, err
	}
	return buf[len(args)], mem, nil
}

// Call calls f, one of the guest's functions that returns nothing, with
// args; wasmtime checks f's type.
func (g *Guest) Call(f *wasmtime.Func, args ...int32) error {
	return capi.CallEach(g.ctx, f, false, len(args), args, nil)
}

// write copies b into guest memory at ptr.
func (g *Guest) write(ptr uint32, b []byte) error {
	dst, err := g.slice(ptr, uint32(len(b)))
	if err != nil {
		return err
	}
	copy(dst, b)
	return nil
}

// slice returns guest memory [ptr, ptr+n) without copying; it is only
// valid until the next call into the guest.
func (g *Guest) slice(ptr, n uint32) ([]byte, error) {
	return MemRange(g.Memory(), ptr, n)
}

// MemRange returns data[ptr:ptr+n], bounds-checked.
func MemRange(data []byte, ptr, n uint32) ([]byte, error) {
	if uint64(ptr)+uint64(n) > uint64(len(data)) {
		return nil, fmt.Errorf("guest pointer out of bounds: %#x+%d > %d", ptr, n, len(data))
	}
	return data[ptr : ptr+n], nil
}

// read copies n bytes at ptr out of guest memory.
func (g *Guest) read(ptr, n uint32) ([]byte, error) {
	b, err := g.slice(ptr, n)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

// Arg is a string, a list of bytes or a list<tuple<string,string>> to
// pass to the guest (see PutArgs).
type Arg struct {
	str     string      // a string's bytes (data empty)
	data    []byte      // a list's bytes (str empty)
	align   uint32      // of the string or list
	pairs   [][2]string // a list<tuple<string,string>>, when isPairs
	isPairs bool
}

// StringArg is a string argument.
func StringArg(s string) Arg { return Arg{str: s, align: 1} }

// BytesArg is a list<u8> argument.
func BytesArg(b []byte) Arg { return Arg{data: b, align: 1} }

// PairsArg is a list<tuple<string,string>> argument.
func PairsArg(pairs [][2]string) Arg { return Arg{pairs: pairs, isPairs: true} }

// size is the byte size of a string or bytes argument.
func (a *Arg) size() int {
	return len(a.str) + len(a.data)
}

// PutArgs allocates and writes args in guest memory and returns a pointer
// for each (valid until g's next PutArgs). Every string and list gets its own
// canonical_abi_realloc(0, 0, align, size) (align 1 for bytes, 4 for the
// 16-byte tuple array, whose strings are allocated first, in order), since
// the guest may free each one; realloc is called even for size 0 so that
// the guest gets its non-null dummy pointer. The calls are made first, in
// that order, and the bytes written afterwards: a realloc may grow (move)
// the memory, the pointers stay valid.
func (g *Guest) PutArgs(args []Arg) ([]uint32, error) {
	calls := 0
	for i := range args {
		a := &args[i]
		if a.isPairs {
			if uint64(len(a.pairs))*16 > 1<<31-1 {
				return nil, fmt.Errorf("list too long for the guest: %d", len(a.pairs))
			}
			calls += 2*len(a.pairs) + 1
			continue
		}
		if uint64(a.size()) > 1<<31-1 {
			return nil, fmt.Errorf("value too long for the guest: %d bytes", a.size())
		}
		calls++
	}
	// The realloc arguments (4 per call) and results. A request passes a
	// few dozen strings: the loops below index instead of appending or
	// calling a closure per string, which halved their instructions.
	buf := g.Scratch(5 * calls)
	reqs, ptrs := buf[:4*calls], buf[4*calls:]
	k := 0
	for i := range args {
		a := &args[i]
		if a.isPairs {
			for j := range a.pairs {
				r := reqs[k : k+8 : k+8]
				r[0], r[1], r[2], r[3] = 0, 0, 1, int32(len(a.pairs[j][0]))
				r[4], r[5], r[6], r[7] = 0, 0, 1, int32(len(a.pairs[j][1]))
				k += 8
			}
			r := reqs[k : k+4 : k+4]
			r[0], r[1], r[2], r[3] = 0, 0, 4, int32(16*len(a.pairs))
			k += 4
			continue
		}
		r := reqs[k : k+4 : k+4]
		r[0], r[1], r[2], r[3] = 0, 0, int32(a.align), int32(a.size())
		k += 4
	}
	mem, err := capi.CallEachMemory(g.ctx, g.realloc, g.typed, 4, reqs, ptrs, g.mem)
	if err != nil {
		return nil, fmt.Errorf("canonical_abi_realloc: %w", err)
	}
	if cap(g.ptrs) < len(args) {
		g.ptrs = make([]uint32, len(args))
	}
	out := g.ptrs[:len(args)]
	next := 0
	for i := range args {
		a := &args[i]
		if !a.isPairs {
			ptr := uint32(ptrs[next])
			next++
			dst, err := MemRange(mem, ptr, uint32(len(a.str)+len(a.data)))
			if err != nil {
				return nil, fmt.Errorf("canonical_abi_realloc result: %w", err)
			}
			copy(dst[copy(dst, a.str):], a.data)
			out[i] = ptr
			continue
		}
		strs := ptrs[next : next+2*len(a.pairs)]
		for j := range strs {
			s := a.pairs[j/2][j%2]
			ptr := uint32(strs[j])
			if uint64(ptr)+uint64(len(s)) > uint64(len(mem)) {
				return nil, fmt.Errorf("canonical_abi_realloc result: guest pointer out of bounds: %#x+%d > %d", ptr, len(s), len(mem))
			}
			copy(mem[ptr:], s)
		}
		next += len(strs)
		out[i] = uint32(ptrs[next])
		tuples, err := MemRange(mem, out[i], uint32(16*len(a.pairs)))
		if err != nil {
			return nil, fmt.Errorf("canonical_abi_realloc result: %w", err)
		}
		next++
		le := binary.LittleEndian
		for j := range a.pairs {
			t := tuples[16*j : 16*j+16 : 16*j+16]
			le.PutUint32(t[0:], uint32(strs[2*j]))
			le.PutUint32(t[4:], uint32(len(a.pairs[j][0])))
			le.PutUint32(t[8:], uint32(strs[2*j+1]))
			le.PutUint32(t[12:], uint32(len(a.pairs[j][1])))
		}
	}
	return out, nil
}

// put allocates len(data) bytes with the given alignment and copies data in.
func (g *Guest) put(data []byte, align uint32) (uint32, error) {
	ptrs, err := g.PutArgs([]Arg{{data: data, align: align}})
	if err != nil {
		return 0, err
	}
	return ptrs[0], nil
}

// putPairs writes a list<tuple<string,string>>: each string (align 1) and
// the 16-byte tuple array (align 4). It returns the array pointer.
func (g *Guest) putPairs(pairs [][2]string) (uint32, error) {
	ptrs, err := g.PutArgs([]Arg{PairsArg(pairs)})
	if err != nil {
		return 0, err
	}
	return ptrs[0], nil
}

// readPairs reads count 16-byte tuples at ptr as strings.
func (g *Guest) readPairs(ptr, count uint32) ([][2]string, error) {
	return ReadPairs(g.Memory(), ptr, count)
}

// ReadPairs reads count 16-byte tuples at ptr in mem as strings.
func ReadPairs(mem []byte, ptr, count uint32) ([][2]string, error) {
	return AppendPairs(nil, mem, ptr, count)
}

// AppendPairs appends the count 16-byte tuples at ptr in mem, as strings,
// to out.
func AppendPairs(out [][2]string, mem []byte, ptr, count uint32) ([][2]string, error) {
	if uint64(count)*16 > 1<<32-1 {
		return nil, fmt.Errorf("guest list too long: %d", count)
	}
	tuples, err := MemRange(mem, ptr, count*16)
	if err != nil {
		return nil, err
	}
	start := len(out)
	out = slices.Grow(out, int(count))[:start+int(count)]
	for i := range out[start:] {
		for j := 0; j < 2; j++ {
			p := binary.LittleEndian.Uint32(tuples[16*i+8*j:])
			n := binary.LittleEndian.Uint32(tuples[16*i+8*j+4:])
			s, err := MemRange(mem, p, n)
			if err != nil {
				return nil, err
			}
			out[start+i][j] = commonString(s)
		}
	}
	return out, nil
}

// DeallocAll calls canonical_abi_free(ptr, size, align) for each triple
// in frees, in order.
func (g *Guest) DeallocAll(frees []int32) error {
	if err := capi.CallEach(g.ctx, g.free, g.typed, 3, frees, nil); err != nil {
		return fmt.Errorf("canonical_abi_free: %w", err)
	}
	return nil
}

// commonString is string(b), without allocating for the header names
// guests return most.
func commonString(b []byte) string {
	switch string(b) {
	case "content-type":
		return "content-type"
	case "Content-Type":
		return "Content-Type"
	case "content-length":
		return "content-length"
	case "cache-control":
		return "cache-control"
	}
	return string(b)
}
