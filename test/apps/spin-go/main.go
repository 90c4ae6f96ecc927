//go:build wasip1

// Command spin-go is a Spin 1.x HTTP (wit-bindgen 0.2 canonical ABI) test app
// written in plain Go: a wasip1 reactor (-buildmode=c-shared) whose exports
// are declared with //go:wasmexport.
//
// A request whose path ends in /trap panics (the guest traps). Any other
// request gets 200 with body
// "spin-go: route=<spin-component-route> path-info=<spin-path-info> method=<METHOD>\n"
// and "spin-go handled <uri>" is printed to stdout.
package main

import (
	"fmt"
	"strings"
	"unsafe"
)

func main() {}

// allocs pins every block handed to the host so that the Go GC keeps it
// alive until canonical_abi_free (Go's collector does not move objects).
var allocs = map[uintptr][]byte{}

// retArea is the 28-byte response return area of the ABI.
var retArea [7]uint32

var methods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}

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

func str(ptr, n uint32) string {
	if n == 0 {
		return ""
	}
	return string(unsafe.Slice((*byte)(guestPtr(ptr)), n))
}

func put(s string) (uint32, uint32) {
	if len(s) == 0 {
		return 1, 0
	}
	p := alloc(uint32(len(s)))
	copy(allocs[uintptr(p)], s)
	return p, uint32(len(s))
}

//go:wasmexport handle-http-request
func handleHTTPRequest(method, uriPtr, uriLen, hdrPtr, hdrLen, paramsPtr, paramsLen, bodyTag, bodyPtr, bodyLen uint32) uint32 {
	uri := str(uriPtr, uriLen)
	headers := map[string]string{}
	tuples := unsafe.Slice((*[4]uint32)(guestPtr(hdrPtr)), hdrLen)
	for _, t := range tuples {
		headers[str(t[0], t[1])] = str(t[2], t[3])
	}
	path, _, _ := strings.Cut(uri, "?")
	if strings.HasSuffix(path, "/trap") {
		panic("spin-go: trap requested")
	}
	m := "UNKNOWN"
	if int(method) < len(methods) {
		m = methods[method]
	}
	fmt.Printf("spin-go handled %s\n", uri)

	body := fmt.Sprintf("spin-go: route=%s path-info=%s method=%s\n",
		headers["spin-component-route"], headers["spin-path-info"], m)
	kp, kl := put("content-type")
	vp, vl := put("text/plain")
	hp := alloc(16)
	h := unsafe.Slice((*uint32)(guestPtr(hp)), 4)
	h[0], h[1], h[2], h[3] = kp, kl, vp, vl
	bp, bl := put(body)

	retArea = [7]uint32{200, 1, hp, 1, 1, bp, bl}
	return uint32(uintptr(unsafe.Pointer(&retArea[0])))
}
