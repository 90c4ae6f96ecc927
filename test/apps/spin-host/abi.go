//go:build wasip1

package main

import (
	"runtime"
	"unsafe"
)

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
