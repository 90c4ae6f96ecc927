package coremodule

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/test/testwasm"
)

// TestInstancesInUnusedSlotsRecordTouchedPages: a module's first instance
// on a Host records the pages of its memory it wrote, not those of its
// zeroed memory it only read, and those of its initial data it read;
// later instances on that Host record nothing; nor does the first on
// another Host of the same engine, whose slot was used; the first on the
// Host of another engine, which the module moved to, adds its own.
func TestInstancesInUnusedSlotsRecordTouchedPages(t *testing.T) {
	page := os.Getpagesize()
	// write(p) stores a byte on page p; read(p) loads one from it.
	wat := fmt.Sprintf(`(module (memory (export "memory") %d)
		(data (i32.const %d) "initial data")
		(func (export "write") (param i32) (i32.store8 (i32.mul (local.get 0) (i32.const %d)) (i32.const 1)))
		(func (export "read") (param i32) (result i32) (i32.load8_u (i32.mul (local.get 0) (i32.const %d)))))`,
		(16*page+65535)/65536, 12*page, page, page)
	newHost := func() (*Host, *wasmtime.Module) {
		engine, _ := capi.NewModuleEngine()
		t.Cleanup(engine.Close)
		h, err := NewHost(Config{Engine: engine, InstanceLimit: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Close)
		return h, testwasm.Module(t, engine, wat)
	}
	h, m := newHost()
	c := &Component{ID: "c", Module: m}
	if c.MemorySamples() != 0 {
		t.Fatal("a component no instance of which ran reports it was sampled")
	}
	// request instantiates c on h, writes the pages of write and reads
	// those of read.
	request := func(h *Host, write, read []int32) {
		t.Helper()
		s, inst := newInstance(t, h, c)
		defer s.Close()
		for _, p := range write {
			if _, err := h.LookupFunc(s, inst, "write").Call(s, p); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range read {
			if _, err := h.LookupFunc(s, inst, "read").Call(s, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := func(pages ...int) {
		t.Helper()
		got, samples := c.TouchedPages(), c.MemorySamples()
		if samples == 0 || !slices.Equal(got, pages) {
			t.Fatalf("written pages %v (%d samples), want %v", got, samples, pages)
		}
	}

	request(h, []int32{1, 3}, []int32{5, 12})
	want(1, 3, 12)
	request(h, []int32{7}, nil)
	want(1, 3, 12)
	// Another Host of the same engine gets a slot the first used, once the
	// pool has given back a batch of freed memories: its kept pages say
	// nothing of what the instance touched.
	for range capi.PoolDecommitBatch {
		request(h, nil, nil)
	}
	same, err := NewHost(Config{Engine: h.engine, InstanceLimit: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer same.Close()
	if err := same.PrepareUpgrade(h, c); err != nil {
		t.Fatal(err)
	}
	c.UpgradeTo(same, m)
	request(same, []int32{9}, nil)
	want(1, 3, 12)
	if n := c.MemorySamples(); n != 1 {
		t.Errorf("%d samples, want the first Host's only", n)
	}
	next, m := newHost()
	if err := next.PrepareUpgrade(h, c); err != nil {
		t.Fatal(err)
	}
	c.UpgradeTo(next, m)
	request(next, []int32{2}, []int32{9})
	want(1, 2, 3, 12)
}

// TestPoolResetKeepsWhatItIsTold: a pool keeps resident, for the next
// instance in a slot, the pages of a freed memory below the amount it
// resets in place, and gives back those above.
func TestPoolResetKeepsWhatItIsTold(t *testing.T) {
	page := os.Getpagesize()
	wat := fmt.Sprintf(`(module (memory (export "memory") %d)
		(func (export "write") (param i32) (i32.store8 (i32.mul (local.get 0) (i32.const %d)) (i32.const 1))))`,
		(16*page+65535)/65536, page)
	for _, tc := range []struct {
		keep  int
		kept5 bool // page 5 kept resident
	}{{page, false}, {capi.PoolKeepResident, true}} {
		engine, _ := capi.NewModuleEngineKeeping(tc.keep)
		defer engine.Close()
		h, err := NewHost(Config{Engine: engine, InstanceLimit: 4})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		c := &Component{ID: "c", Module: testwasm.Module(t, engine, wat)}
		// written returns the pages written in the memory of an instance in
		// the slot the one before used, then writes pages 0 and 5.
		written := func() []uint64 {
			s, inst := newInstance(t, h, c)
			defer s.Close()
			pages, err := readPageMap(trackedMemory(inst.GetExport(s, ExportMemory).Memory(), s))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []int32{0, 5} {
				if _, err := h.LookupFunc(s, inst, "write").Call(s, p); err != nil {
					t.Fatal(err)
				}
			}
			return pages.written
		}
		if w := written(); w[0] != 0 {
			t.Fatalf("keep %d: a new pool's slot has written pages %b", tc.keep, w[0])
		}
		// The pool reuses the slots it freed once it has given back a batch.
		for range capi.PoolDecommitBatch - 1 {
			written()
		}
		w := written()[0]
		if w&1 == 0 || (w&(1<<5) != 0) != tc.kept5 {
			t.Errorf("keep %d: pages written in the reused slot %b, want page 0 and page 5 %v", tc.keep, w, tc.kept5)
		}
	}
}

// newInstance instantiates c in a new Store on h, which the caller closes.
func newInstance(t *testing.T, h *Host, c *Component) (*Store, *wasmtime.Instance) {
	t.Helper()
	s, err := h.NewStore(t.Context(), c, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := h.Instantiate(s, c)
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s, inst
}
