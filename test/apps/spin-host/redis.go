//go:build wasip1

package main

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unsafe"

	"github.com/spinoci/spinoci/test/apps/internal/guestabi"
)

//go:wasmimport outbound-redis publish
func redisPublishImport(addrPtr, addrLen, chPtr, chLen, payloadPtr, payloadLen, ret uint32)

//go:wasmimport outbound-redis set
func redisSetImport(addrPtr, addrLen, keyPtr, keyLen, valPtr, valLen, ret uint32)

//go:wasmimport outbound-redis get
func redisGetImport(addrPtr, addrLen, keyPtr, keyLen, ret uint32)

//go:wasmimport outbound-redis incr
func redisIncrImport(addrPtr, addrLen, keyPtr, keyLen, ret uint32)

//go:wasmimport outbound-redis execute
func redisExecuteImport(addrPtr, addrLen, cmdPtr, cmdLen, argsPtr, argsLen, ret uint32)

// redisRet is the 16-byte, 8-aligned return area of expected<T, error>
// with enum error { success, error }.
var redisRet [2]uint64

// redisFailed reports Spin 1.x's error: tag 1, error (1) at off.
func redisFailed(off int) error {
	b := unsafe.Slice((*byte)(unsafe.Pointer(&redisRet[0])), 16)
	if b[0] == 0 {
		return nil
	}
	return fmt.Errorf("error %d", b[off])
}

// redisOp runs /redis/<verb>/<name> against the server at address: set
// and publish send the body, get answers the value, incr the number,
// execute runs command <name> with the x-param-N headers as binary
// arguments and answers one "kind:value" line per result.
func redisOp(req *request, op string, params []string) response {
	verb, name, _ := strings.Cut(op, "/")
	address := argOf(req.header("x-redis-address"))
	n := argOf(name)
	defer keep(address, n)
	ret := uint32(uintptr(unsafe.Pointer(&redisRet[0])))
	redisRet = [2]uint64{}
	var err error
	switch verb {
	case "set", "publish":
		body := arg{b: req.body}
		if verb == "set" {
			redisSetImport(address.ptr(), address.len(), n.ptr(), n.len(), body.ptr(), body.len(), ret)
		} else {
			redisPublishImport(address.ptr(), address.len(), n.ptr(), n.len(), body.ptr(), body.len(), ret)
		}
		keep(body)
		if err = redisFailed(1); err == nil {
			return text(200, "ok\n")
		}
	case "get":
		redisGetImport(address.ptr(), address.len(), n.ptr(), n.len(), ret)
		if err = redisFailed(4); err == nil {
			return text(200, "%s", guestabi.Take(uint32(redisRet[0]>>32), uint32(redisRet[1])))
		}
	case "incr":
		redisIncrImport(address.ptr(), address.len(), n.ptr(), n.len(), ret)
		if err = redisFailed(8); err == nil {
			return text(200, "%d\n", int64(redisRet[1]))
		}
	case "execute":
		args := make([]uint64, 2*len(params)+1)
		hold := make([]arg, len(params))
		for i, p := range params {
			hold[i] = argOf(p)
			args[2*i] = 1 // binary
			args[2*i+1] = uint64(hold[i].ptr()) | uint64(hold[i].len())<<32
		}
		redisExecuteImport(address.ptr(), address.len(), n.ptr(), n.len(), uint32(uintptr(unsafe.Pointer(&args[0]))), uint32(len(params)), ret)
		keep(hold...)
		if err = redisFailed(4); err == nil {
			var b strings.Builder
			results := unsafe.Slice((*byte)(guestabi.Ptr(uint32(redisRet[0]>>32))), 16*uint32(redisRet[1]))
			for i := 0; i < len(results); i += 16 {
				r := results[i:]
				ptr, n := binary.LittleEndian.Uint32(r[8:]), binary.LittleEndian.Uint32(r[12:])
				switch r[0] {
				case 0:
					b.WriteString("nil\n")
				case 1:
					fmt.Fprintf(&b, "status:%s\n", guestabi.Take(ptr, n))
				case 2:
					fmt.Fprintf(&b, "int:%d\n", int64(binary.LittleEndian.Uint64(r[8:])))
				case 3:
					fmt.Fprintf(&b, "binary:%s\n", guestabi.Take(ptr, n))
				}
			}
			return text(200, "%s", b.String())
		}
	default:
		return text(404, "no such operation\n")
	}
	return text(500, "error: %v\n", err)
}
