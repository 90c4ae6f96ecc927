//go:build wasip1

package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/spinoci/spinoci/test/apps/internal/guestabi"
)

//go:wasmimport outbound-pg query
func pgQueryImport(addrPtr, addrLen, stmtPtr, stmtLen, paramsPtr, paramsLen, ret uint32)

//go:wasmimport outbound-pg execute
func pgExecuteImport(addrPtr, addrLen, stmtPtr, stmtLen, paramsPtr, paramsLen, ret uint32)

//go:wasmimport outbound-mysql query
func mysqlQueryImport(addrPtr, addrLen, stmtPtr, stmtLen, paramsPtr, paramsLen, ret uint32)

//go:wasmimport outbound-mysql execute
func mysqlExecuteImport(addrPtr, addrLen, stmtPtr, stmtLen, paramsPtr, paramsLen, ret uint32)

// rdbmsErrors names the pg-error and mysql-error variants by tag.
var rdbmsErrors = []string{"success", "connection-failed", "bad-parameter", "query-failed", "value-conversion-failed", "other-error"}

// rdbmsRet is the 20-byte return area (8-aligned: execute's u64 is at 8).
var rdbmsRet [3]uint64

// rdbmsError is the error at byte offset at of a failed result, or nil.
func rdbmsError(at int) error {
	ret := unsafe.Slice((*byte)(unsafe.Pointer(&rdbmsRet[0])), 24)
	if ret[0] == 0 {
		return nil
	}
	tag := int(ret[at])
	name := fmt.Sprintf("tag-%d", tag)
	if tag < len(rdbmsErrors) {
		name = rdbmsErrors[tag]
	}
	return fmt.Errorf("%s: %s", name, guestabi.Take(binary.LittleEndian.Uint32(ret[at+4:]), binary.LittleEndian.Uint32(ret[at+8:])))
}

// rdbmsRun runs statement on the database at address (pg: outbound-pg,
// else outbound-mysql) with str parameters: execute answers "rows=<n>\n"
// (Postgres) or "ok\n" (MySQL); query the columns "name:<type tag>" joined
// by "|", then a line of "kind:value" cells per row.
func rdbmsRun(pg, execute bool, address, statement string, params []string) (string, error) {
	vals := make([]uint64, 2*len(params)+1)
	hold := make([]arg, len(params))
	for i, p := range params {
		hold[i] = argOf(p)
		vals[2*i] = 11 // str
		vals[2*i+1] = uint64(hold[i].ptr()) | uint64(hold[i].len())<<32
	}
	a, s := argOf(address), argOf(statement)
	pp, pn, ret := uint32(uintptr(unsafe.Pointer(&vals[0]))), uint32(len(params)), uint32(uintptr(unsafe.Pointer(&rdbmsRet[0])))
	switch {
	case pg && execute:
		pgExecuteImport(a.ptr(), a.len(), s.ptr(), s.len(), pp, pn, ret)
	case pg:
		pgQueryImport(a.ptr(), a.len(), s.ptr(), s.len(), pp, pn, ret)
	case execute:
		mysqlExecuteImport(a.ptr(), a.len(), s.ptr(), s.len(), pp, pn, ret)
	default:
		mysqlQueryImport(a.ptr(), a.len(), s.ptr(), s.len(), pp, pn, ret)
	}
	keep(append(hold, a, s)...)
	if execute {
		if pg {
			if err := rdbmsError(8); err != nil {
				return "", err
			}
			return fmt.Sprintf("rows=%d\n", rdbmsRet[1]), nil
		}
		if err := rdbmsError(4); err != nil {
			return "", err
		}
		return "ok\n", nil
	}
	if err := rdbmsError(4); err != nil {
		return "", err
	}
	ret32 := unsafe.Slice((*uint32)(unsafe.Pointer(&rdbmsRet[0])), 5)
	var b strings.Builder
	cols := unsafe.Slice((*[3]uint32)(guestabi.Ptr(ret32[1])), ret32[2])
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = fmt.Sprintf("%s:%d", guestabi.Str(c[0], c[1]), c[2]&0xff)
	}
	b.WriteString(strings.Join(names, "|") + "\n")
	writeRows(&b, ret32[3], ret32[4], func(tag byte, payload uint64, ptr, n uint32) string {
		switch {
		case tag == 0:
			return fmt.Sprintf("bool:%v", uint8(payload) != 0)
		case tag >= 1 && tag <= 4:
			shift := 64 - 8<<(tag-1) // sign-extend the low bytes
			return fmt.Sprintf("int:%d", int64(payload<<shift)>>shift)
		case tag >= 5 && tag <= 8:
			shift := 64 - 8<<(tag-5)
			return fmt.Sprintf("uint:%d", payload<<shift>>shift)
		case tag == 9:
			return fmt.Sprintf("float:%g", math.Float32frombits(uint32(payload)))
		case tag == 10:
			return fmt.Sprintf("float:%g", math.Float64frombits(payload))
		case tag == 11:
			return "str:" + guestabi.Str(ptr, n)
		case tag == 12:
			return fmt.Sprintf("binary:%x", guestabi.Take(ptr, n))
		case tag == 13:
			return "null"
		default:
			return "unsupported"
		}
	})
	return b.String(), nil
}
