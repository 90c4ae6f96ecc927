//go:build wasip1

package main

import (
	"runtime"
	"unsafe"
)

// allocs pins every block handed to the host (arguments of
// handle-http-request, results of host imports) until it is freed: the Go
// GC does not move objects, but it must not collect them.
var allocs = map[uintptr][]byte{}

func alloc(size uint32) uint32 {
	b := make([]byte, size)
	p := uintptr(unsafe.Pointer(&b[0]))
	allocs[p] = b
	return uint32(p)
}

//go:wasmexport canonical_abi_realloc
func canonicalABIRealloc(ptr, origSize, align, newSize uint32) uint32 {
	if newSize == 0 {
		return align
	}
	p := alloc(newSize)
	if ptr != 0 {
		if old, ok := allocs[uintptr(ptr)]; ok {
			copy(allocs[uintptr(p)], old)
			delete(allocs, uintptr(ptr))
		}
	}
	return p
}

//go:wasmexport canonical_abi_free
func canonicalABIFree(ptr, size, align uint32) {
	if size == 0 {
		return
	}
	delete(allocs, uintptr(ptr))
}

// guestPtr turns a linear-memory address into a pointer.
func guestPtr(addr uint32) unsafe.Pointer {
	return unsafe.Add(unsafe.Pointer(nil), addr)
}

// take copies n bytes at ptr (host-allocated) and frees the block.
func take(ptr, n uint32) []byte {
	if n == 0 {
		return []byte{}
	}
	b := append([]byte(nil), unsafe.Slice((*byte)(guestPtr(ptr)), n)...)
	delete(allocs, uintptr(ptr))
	return b
}

// str reads a string the host passed as an argument (not freed: the
// instance ends with the request).
func str(ptr, n uint32) string {
	if n == 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(guestPtr(ptr)), n))
}

// put allocates a copy of b and returns its address and length.
func put(b []byte) (uint32, uint32) {
	if len(b) == 0 {
		return 1, 0
	}
	p := alloc(uint32(len(b)))
	copy(allocs[uintptr(p)], b)
	return p, uint32(len(b))
}

// arg is a string or byte argument passed to a host import; keep it alive
// with runtime.KeepAlive until the import returns.
type arg struct {
	b []byte
}

func argOf(s string) arg { return arg{b: []byte(s)} }

func (a arg) ptr() uint32 {
	if len(a.b) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(&a.b[0])))
}

func (a arg) len() uint32 { return uint32(len(a.b)) }

func keep(args ...arg) {
	for _, a := range args {
		runtime.KeepAlive(a.b)
	}
}

// pairs encodes a list<tuple<string,string>> for a host import: the
// 16-byte tuple array and the strings it points to, kept alive by the
// returned slice.
func pairs(kv [][2]string) (tuples []uint32, hold [][]byte) {
	tuples = make([]uint32, 0, 4*len(kv)+1)
	for _, p := range kv {
		for _, s := range p {
			b := []byte(s + "\x00")[:len(s)]
			hold = append(hold, b)
			tuples = append(tuples, uint32(uintptr(unsafe.Pointer(&b[:1][0]))), uint32(len(s)))
		}
	}
	return tuples, hold
}

func addr(p *uint32) uint32 { return uint32(uintptr(unsafe.Pointer(p))) }
