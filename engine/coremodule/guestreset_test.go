package coremodule

import (
	"testing"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// TestGuestReset: Reset forgets the instance (a Guest kept for another
// request must not reach the memory or allocator of the one before), and
// keeps its scratch space, emptied, for that request unless it grew past
// the bound, which then goes.
func TestGuestReset(t *testing.T) {
	p := newWATInstance(t, &Component{}, guestWAT)
	g, err := p.store.host.Guest(p.store, p.inst, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.PutArgs([]Arg{StringArg("/uri"), BytesArg([]byte("xyz"))}); err != nil {
		t.Fatal(err)
	}
	mem, realloc, free := g.mem, g.realloc, g.free
	scratch, ptrs := g.scratch, g.ptrs
	if cap(scratch) == 0 || cap(ptrs) == 0 {
		t.Fatalf("PutArgs used no scratch space (%d, %d)", cap(scratch), cap(ptrs))
	}

	g.Reset(1 << 10)
	if g.store != nil || g.ctx != (capi.StoreContext{}) || g.mem != nil || g.realloc != nil || g.free != nil || g.typed {
		t.Errorf("Reset kept the instance: %+v", g)
	}
	if len(g.scratch) != 0 || len(g.ptrs) != 0 || cap(g.scratch) != cap(scratch) || cap(g.ptrs) != cap(ptrs) ||
		&g.scratch[:1][0] != &scratch[:1][0] || &g.ptrs[:1][0] != &ptrs[:1][0] {
		t.Errorf("Reset did not keep the scratch space, emptied: scratch %d/%d, ptrs %d/%d", len(g.scratch), cap(g.scratch), len(g.ptrs), cap(g.ptrs))
	}

	// The Guest serves the next request, on its kept space.
	p.store.InitGuest(g, mem, realloc, free, false)
	got, err := g.PutArgs([]Arg{StringArg("/next")})
	if err != nil {
		t.Fatal(err)
	}
	if b := p.mem()[got[0] : got[0]+5]; string(b) != "/next" {
		t.Errorf("after Reset and InitGuest: wrote %q, want /next", b)
	}
	if &g.scratch[:1][0] != &scratch[:1][0] {
		t.Error("the next request allocated new scratch space")
	}

	// Space past the bound goes: 256 int32s are 1 KiB.
	for _, tc := range []struct {
		max  int
		kept bool
	}{{1 << 10, true}, {1<<10 - 1, false}} {
		var g Guest
		g.Scratch(256)
		g.ptrs = make([]uint32, 0, 256)
		g.Reset(tc.max)
		if kept := cap(g.scratch) == 256; kept != tc.kept {
			t.Errorf("Reset(%d) of 1 KiB of scratch: kept %v, want %v", tc.max, kept, tc.kept)
		}
		if kept := cap(g.ptrs) == 256; kept != tc.kept {
			t.Errorf("Reset(%d) of 1 KiB of pointers: kept %v, want %v", tc.max, kept, tc.kept)
		}
	}
}
