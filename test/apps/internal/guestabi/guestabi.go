//go:build wasip1

// Package guestabi is the guest side of the Spin 1.x canonical ABI
// (wit-bindgen 0.2) shared by the Go test apps: the canonical_abi_realloc
// and canonical_abi_free exports and the helpers that read and write guest
// memory. It is linked into wasip1 reactors built with -buildmode=c-shared.
package guestabi

import "unsafe"

// allocs pins every block handed to the host (arguments of
// handle-http-request, results of host imports) until it is freed: the Go
// GC does not move objects, but it must not collect them.
var allocs = map[uintptr][]byte{}

// Methods are the ABI's method enum, in order.
var Methods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}

// Alloc returns a pinned block of size bytes.
func Alloc(size uint32) uint32 {
	b := make([]byte, size)
	p := uintptr(unsafe.Pointer(&b[0]))
	allocs[p] = b
	return uint32(p)
}

// Free unpins a block returned by Alloc.
func Free(ptr uint32) { delete(allocs, uintptr(ptr)) }

//go:wasmexport canonical_abi_realloc
func canonicalABIRealloc(ptr, origSize, align, newSize uint32) uint32 {
	if newSize == 0 {
		return align
	}
	p := Alloc(newSize)
	if ptr != 0 {
		if old, ok := allocs[uintptr(ptr)]; ok {
			copy(allocs[uintptr(p)], old)
			Free(ptr)
		}
	}
	return p
}

//go:wasmexport canonical_abi_free
func canonicalABIFree(ptr, size, align uint32) {
	if size == 0 {
		return
	}
	Free(ptr)
}

// Ptr turns a linear-memory address into a pointer.
func Ptr(addr uint32) unsafe.Pointer {
	return unsafe.Add(unsafe.Pointer(nil), addr)
}

// Str reads a string the host passed as an argument (not freed: the
// instance ends with the request).
func Str(ptr, n uint32) string {
	if n == 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(Ptr(ptr)), n))
}

// Take copies n bytes at ptr (host-allocated) and frees the block.
func Take(ptr, n uint32) []byte {
	if n == 0 {
		return []byte{}
	}
	b := append([]byte(nil), unsafe.Slice((*byte)(Ptr(ptr)), n)...)
	Free(ptr)
	return b
}

// Put allocates a copy of b and returns its address and length.
func Put(b []byte) (uint32, uint32) {
	if len(b) == 0 {
		return 1, 0
	}
	p := Alloc(uint32(len(b)))
	copy(allocs[uintptr(p)], b)
	return p, uint32(len(b))
}
