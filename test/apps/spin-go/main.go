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

	"github.com/spinoci/spinoci/test/apps/internal/guestabi"
)

func main() {}

// retArea is the 28-byte response return area of the ABI.
var retArea [7]uint32

func put(s string) (uint32, uint32) { return guestabi.Put([]byte(s)) }

//go:wasmexport handle-http-request
func handleHTTPRequest(method, uriPtr, uriLen, hdrPtr, hdrLen, paramsPtr, paramsLen, bodyTag, bodyPtr, bodyLen uint32) uint32 {
	uri := guestabi.Str(uriPtr, uriLen)
	headers := map[string]string{}
	tuples := unsafe.Slice((*[4]uint32)(guestabi.Ptr(hdrPtr)), hdrLen)
	for _, t := range tuples {
		headers[guestabi.Str(t[0], t[1])] = guestabi.Str(t[2], t[3])
	}
	path, _, _ := strings.Cut(uri, "?")
	if strings.HasSuffix(path, "/trap") {
		panic("spin-go: trap requested")
	}
	m := "UNKNOWN"
	if int(method) < len(guestabi.Methods) {
		m = guestabi.Methods[method]
	}
	fmt.Printf("spin-go handled %s\n", uri)

	body := fmt.Sprintf("spin-go: route=%s path-info=%s method=%s\n",
		headers["spin-component-route"], headers["spin-path-info"], m)
	kp, kl := put("content-type")
	vp, vl := put("text/plain")
	hp := guestabi.Alloc(16)
	h := unsafe.Slice((*uint32)(guestabi.Ptr(hp)), 4)
	h[0], h[1], h[2], h[3] = kp, kl, vp, vl
	bp, bl := put(body)

	retArea = [7]uint32{200, 1, hp, 1, 1, bp, bl}
	return uint32(uintptr(unsafe.Pointer(&retArea[0])))
}
