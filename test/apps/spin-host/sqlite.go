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

//go:wasmimport sqlite open
func sqliteOpenImport(namePtr, nameLen, ret uint32)

//go:wasmimport sqlite execute
func sqliteExecuteImport(conn, stmtPtr, stmtLen, paramsPtr, paramsLen, ret uint32)

//go:wasmimport sqlite close
func sqliteCloseImport(conn uint32)

// sqliteErrors names the sqlite error variants by tag.
var sqliteErrors = []string{"no-such-database", "access-denied", "invalid-connection", "database-full", "io"}

// sqliteRet is the 20-byte return area.
var sqliteRet [5]uint32

func sqliteResult() error {
	if sqliteRet[0]&0xff == 0 {
		return nil
	}
	tag := int(sqliteRet[1] & 0xff)
	name := fmt.Sprintf("tag-%d", tag)
	if tag < len(sqliteErrors) {
		name = sqliteErrors[tag]
	}
	if tag == 4 {
		return fmt.Errorf("%s: %s", name, guestabi.Take(sqliteRet[2], sqliteRet[3]))
	}
	return fmt.Errorf("%s", name)
}

// sqliteQuery opens database, runs statement (with text parameters) and
// formats the result: the columns joined by "|", then one line per row of
// "kind:value" cells.
func sqliteQuery(database, statement string, params []string) (string, error) {
	n := argOf(database)
	sqliteOpenImport(n.ptr(), n.len(), addr(&sqliteRet[0]))
	keep(n)
	if err := sqliteResult(); err != nil {
		return "", err
	}
	conn := sqliteRet[1]
	defer sqliteCloseImport(conn)
	// Parameters: text values, 16 bytes each (tag, payload at 8).
	vals := make([]uint64, 2*len(params)+1)
	hold := make([]arg, len(params))
	for i, p := range params {
		hold[i] = argOf(p)
		vals[2*i] = 2 // text
		vals[2*i+1] = uint64(hold[i].ptr()) | uint64(hold[i].len())<<32
	}
	s := argOf(statement)
	sqliteExecuteImport(conn, s.ptr(), s.len(), uint32(uintptr(unsafe.Pointer(&vals[0]))), uint32(len(params)), addr(&sqliteRet[0]))
	keep(append(hold, s)...)
	if err := sqliteResult(); err != nil {
		return "", err
	}
	var b strings.Builder
	cols := unsafe.Slice((*[2]uint32)(guestabi.Ptr(sqliteRet[1])), sqliteRet[2])
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = guestabi.Str(c[0], c[1])
	}
	b.WriteString(strings.Join(names, "|") + "\n")
	writeRows(&b, sqliteRet[3], sqliteRet[4], func(tag byte, payload uint64, ptr, n uint32) string {
		switch tag {
		case 0:
			return fmt.Sprintf("int:%d", int64(payload))
		case 1:
			return fmt.Sprintf("real:%g", math.Float64frombits(payload))
		case 2:
			return "text:" + guestabi.Str(ptr, n)
		case 3:
			return fmt.Sprintf("blob:%x", guestabi.Take(ptr, n))
		default:
			return "null"
		}
	})
	return b.String(), nil
}

// writeRows writes the rows of a row-set, rowsLen (pointer, length) pairs
// at rowsPtr, each a list of 16-byte values: a tag byte, then at 8 the
// payload (a number, or the pointer and length of a string or bytes). A
// row is one line of its cells as cell formats them, joined by "|".
func writeRows(b *strings.Builder, rowsPtr, rowsLen uint32, cell func(tag byte, payload uint64, ptr, n uint32) string) {
	rows := unsafe.Slice((*[2]uint32)(guestabi.Ptr(rowsPtr)), rowsLen)
	for _, r := range rows {
		raw := unsafe.Slice((*byte)(guestabi.Ptr(r[0])), 16*r[1])
		cells := make([]string, r[1])
		for i := range cells {
			v := raw[16*i:]
			cells[i] = cell(v[0], binary.LittleEndian.Uint64(v[8:]), binary.LittleEndian.Uint32(v[8:]), binary.LittleEndian.Uint32(v[12:]))
		}
		b.WriteString(strings.Join(cells, "|") + "\n")
	}
}
