package coremodule

import (
	"encoding/binary"
	"strings"
	"testing"
)

// guestWAT is a guest with the bump allocator and a canonical_abi_free
// that frees nothing.
const guestWAT = `(module` + bumpAllocatorWAT + `
  (func (export "canonical_abi_free") (param i32 i32 i32)))`

// TestPutArgsLayout: PutArgs allocates every string and list in order
// (a list's strings before its tuple array) and writes the strings, the
// 16-byte tuples and the bytes where the allocator said.
func TestPutArgsLayout(t *testing.T) {
	p := newWATInstance(t, &Component{}, guestWAT)
	g, err := p.store.host.Guest(p.store, p.inst, false)
	if err != nil {
		t.Fatal(err)
	}
	pairs := [][2]string{{"a", "bc"}, {"", "d"}}
	ptrs, err := g.PutArgs([]Arg{StringArg("/uri"), PairsArg(pairs), PairsArg(nil), BytesArg([]byte("xyz"))})
	if err != nil {
		t.Fatal(err)
	}
	// The bump allocator starts at 65536: "/uri" 65536, "a" 65540, "bc"
	// 65541, "" and "d" 65543, the tuples 65544 (aligned to 4, 32 bytes),
	// the empty list and the body 65576.
	want := []uint32{65536, 65544, 65576, 65576}
	for i := range want {
		if ptrs[i] != want[i] {
			t.Fatalf("pointers %v, want %v", ptrs, want)
		}
	}
	mem := p.mem()
	if got := string(mem[65536:65540]); got != "/uri" {
		t.Errorf("uri %q", got)
	}
	if got := string(mem[65576:65579]); got != "xyz" {
		t.Errorf("body %q", got)
	}
	le := binary.LittleEndian
	wantTuples := []uint32{65540, 1, 65541, 2, 65543, 0, 65543, 1}
	for i, w := range wantTuples {
		if got := le.Uint32(mem[65544+4*i:]); got != w {
			t.Errorf("tuple word %d = %d, want %d", i, got, w)
		}
	}
	got, err := ReadPairs(mem, ptrs[1], uint32(len(pairs)))
	if err != nil || len(got) != 2 || got[0] != pairs[0] || got[1] != pairs[1] {
		t.Errorf("pairs read back: %q, %v", got, err)
	}
}

// TestPutArgsBadPointer: a guest allocator returning memory out of bounds
// fails the call instead of the host writing there.
func TestPutArgsBadPointer(t *testing.T) {
	wat := `(module
  (memory (export "memory") 1)
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 65534))
  (func (export "canonical_abi_free") (param i32 i32 i32)))`
	for _, args := range [][]Arg{
		{StringArg("four")},
		{PairsArg([][2]string{{"name", "value"}})},
	} {
		p := newWATInstance(t, &Component{}, wat)
		g, err := p.store.host.Guest(p.store, p.inst, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = g.PutArgs(args)
		if err == nil || !strings.Contains(err.Error(), "canonical_abi_realloc result: guest pointer out of bounds") {
			t.Errorf("PutArgs with an allocator returning 65534: %v", err)
		}
	}
}
