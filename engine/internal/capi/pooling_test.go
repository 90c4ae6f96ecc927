package capi

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"

	"github.com/spinoci/spinoci/test/testwasm"
)

func TestEngineInstantiatesFromAPool(t *testing.T) {
	if !poolingFits() {
		t.Skip("the pool's address space cannot be reserved here")
	}
	e := NewEngine()
	defer e.Close()
	if cap(e.Slots) != poolSlots {
		t.Errorf("NewEngine's pool has %d slots, want %d", cap(e.Slots), poolSlots)
	}
	c, err := NewCompileEngineAt(Optimized)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Slots != nil {
		t.Error("a compile engine reserves an instance pool")
	}
}

// TestInstantiateWaitsForAPoolSlot: with the pool's only slot held, a
// second instantiation waits until its context ends, and succeeds once the
// first Store is closed.
func TestInstantiateWaitsForAPoolSlot(t *testing.T) {
	e := oneSlotEngine(t)
	c := newAdder(t, e)
	l := adderLinker(t, e)

	first := e.NewStore(&storeData{})
	if _, err := l.Instantiate(context.Background(), first, c); err != nil {
		t.Fatal(err)
	}
	second := e.NewStore(&storeData{})
	defer second.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := l.Instantiate(ctx, second, c); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("instantiating with the pool full: %v, want a deadline error", err)
	}

	go func() {
		time.Sleep(20 * time.Millisecond)
		first.Close()
	}()
	inst, err := l.Instantiate(context.Background(), second, c)
	if err != nil {
		t.Fatal(err)
	}
	run, err := inst.Func("run")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := run.Call(1, U32(20)); err != nil || out[0] != U32(41) {
		t.Errorf("run(20) = %v, %v; want 41", out, err)
	}
	second.Close()
	if n := len(e.Slots); n != 0 {
		t.Errorf("%d slots still taken after every Store closed", n)
	}
}

// bumpWAT exports bump(), which increments the byte its data segment sets
// to 1 and a byte 1 MiB further that starts at 0, and returns both as
// first*256 + far: an instance that sees memory another one wrote returns
// more than 2*256 + 1.
const bumpWAT = `(component
  (core module $m (memory 32)
    (data (i32.const 0) "\01")
    (func (export "bump") (result i32)
      (i32.store8 (i32.const 0) (i32.add (i32.load8_u (i32.const 0)) (i32.const 1)))
      (i32.store8 (i32.const 0x100000) (i32.add (i32.load8_u (i32.const 0x100000)) (i32.const 1)))
      (i32.add
        (i32.mul (i32.load8_u (i32.const 0)) (i32.const 256))
        (i32.load8_u (i32.const 0x100000)))))
  (core instance $i (instantiate $m))
  (func (export "bump") (result u32) (canon lift (core func $i "bump"))))`

// TestPooledMemoryStartsFresh: instances that reuse a pool slot, whose
// written pages stay resident, each start from the module's initial memory.
func TestPooledMemoryStartsFresh(t *testing.T) {
	e := oneSlotEngine(t)
	c := compileWAT(t, e, bumpWAT)
	l := e.NewLinker()
	defer l.Close()
	for i := range 5 {
		s := e.NewStore(nil)
		s.SetDeadline(1 << 30)
		if got := callOnce(t, l, s, c, "bump"); got != U32(2*256+1) {
			t.Fatalf("instance %d: bump() = %v, want %d", i, got, 2*256+1)
		}
	}
}

// oneSlotEngine is an Engine whose pool has one slot, closed with the test.
func oneSlotEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := newEngine(Optimized, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// callOnce is callFresh of name without arguments, failing the test on an
// error; it returns the one result.
func callOnce(t *testing.T, l *Linker, s *Store, c *Component, name string) Val {
	t.Helper()
	res, err := callFresh(t, l, s, c, name, 1)
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

// callFresh instantiates c in s, calls its export name and closes s.
func callFresh(t *testing.T, l *Linker, s *Store, c *Component, name string, nresults int, args ...Val) ([]Val, error) {
	t.Helper()
	defer s.Close()
	inst, err := l.Instantiate(context.Background(), s, c)
	if err != nil {
		t.Fatal(err)
	}
	f, err := inst.Func(name)
	if err != nil {
		t.Fatal(err)
	}
	return f.Call(nresults, args...)
}

// TestFreedMemoryGivenBackInBatches: the part of a freed memory beyond what
// the pool resets in place stays resident until PoolDecommitBatch
// instances have been freed, and then all of them are given back together.
func TestFreedMemoryGivenBackInBatches(t *testing.T) {
	if !poolingFits() {
		t.Skip("the pool's address space cannot be reserved here")
	}
	pageSize := os.Getpagesize()
	engine, _ := NewModuleEngineKeeping(pageSize)
	defer engine.Close()
	m := testwasm.Module(t, engine, `(module (memory (export "memory") 2)
	  (func (export "touch") (i32.store8 (i32.const 65536) (i32.const 1))))`)
	// The page each instance wrote beyond the first, kept in place.
	var written [][]byte
	for i := range PoolDecommitBatch {
		store := wasmtime.NewStore(engine)
		store.SetEpochDeadline(1 << 30) // the engine interrupts guests at epochs
		inst, err := wasmtime.NewInstance(store, m, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inst.GetFunc(store, "touch").Call(store); err != nil {
			t.Fatal(err)
		}
		data := MemoryData(ContextOf(store), LookupMemory(store, inst, "memory"))
		written = append(written, data[65536:65536+pageSize])
		store.Close()
		for j, page := range written {
			want := i < PoolDecommitBatch-1 // the batch is given back as its last is freed
			if got := resident(t, page); got != want {
				t.Fatalf("after %d instances freed: instance %d's written page resident = %v, want %v", i+1, j, got, want)
			}
		}
	}
}

// resident reports whether page, one page of memory mapped in the process,
// is resident.
func resident(t *testing.T, page []byte) bool {
	t.Helper()
	var vec [1]byte
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&page[0])), uintptr(len(page)), uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		t.Fatalf("mincore: %v", errno)
	}
	return vec[0]&1 != 0
}
