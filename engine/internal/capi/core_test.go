package capi

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/test/testwasm"
)

const coreWAT = `(module
  (memory (export "memory") 1)
  (data (i32.const 0) "hi")
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "put") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "wide") (param i32 i32) (result i64) (i64.const 1))
  (func (export "trap") (param i32 i32) (result i32) unreachable))`

// instantiate returns a store and an instance of wat.
func instantiate(t *testing.T, wat string, wasi *wasmtime.WasiConfig) (*wasmtime.Store, *wasmtime.Instance) {
	t.Helper()
	return instantiateWith(t, wat, wasi, nil)
}

// instantiateWith is instantiate with host functions: define, if not nil,
// defines them in the linker.
func instantiateWith(t *testing.T, wat string, wasi *wasmtime.WasiConfig, define func(*wasmtime.Linker) error) (*wasmtime.Store, *wasmtime.Instance) {
	t.Helper()
	engine := wasmtime.NewEngine()
	t.Cleanup(engine.Close)
	m := testwasm.Module(t, engine, wat)
	store := wasmtime.NewStore(engine)
	t.Cleanup(store.Close)
	linker := wasmtime.NewLinker(engine)
	t.Cleanup(linker.Close)
	if wasi != nil {
		store.SetWasi(wasi)
		if err := linker.DefineWasi(); err != nil {
			t.Fatal(err)
		}
	}
	if define != nil {
		if err := define(linker); err != nil {
			t.Fatal(err)
		}
	}
	inst, err := linker.Instantiate(store, m)
	if err != nil {
		t.Fatal(err)
	}
	return store, inst
}

func TestLookupExports(t *testing.T) {
	store, inst := instantiate(t, coreWAT, nil)
	if LookupFunc(store, inst, "add") == nil {
		t.Error("function add not found")
	}
	if LookupMemory(store, inst, "memory") == nil {
		t.Error("memory not found")
	}
	for _, missing := range []struct {
		name string
		got  bool
	}{
		{"func memory", LookupFunc(store, inst, "memory") != nil},
		{"memory add", LookupMemory(store, inst, "add") != nil},
		{"func nope", LookupFunc(store, inst, "nope") != nil},
		{"func empty name", LookupFunc(store, inst, "") != nil},
	} {
		if missing.got {
			t.Errorf("%s: found", missing.name)
		}
	}
	data := MemoryData(ContextOf(store), LookupMemory(store, inst, "memory"))
	if len(data) != 65536 || string(data[:2]) != "hi" {
		t.Errorf("memory: %d bytes starting %q", len(data), data[:min(2, len(data))])
	}
}

func TestCallEach(t *testing.T) {
	store, inst := instantiate(t, coreWAT, nil)
	cx := ContextOf(store)
	add, put := LookupFunc(store, inst, "add"), LookupFunc(store, inst, "put")
	for _, typed := range []bool{false, true} {
		if got, err := CallI32(cx, add, typed, 2, 3); err != nil || got != 5 {
			t.Errorf("typed %v: add(2, 3) = %d, %v", typed, got, err)
		}
		results := make([]int32, 2)
		if err := CallEach(cx, add, typed, 2, []int32{1, 2, 30, 40}, results); err != nil || results[0] != 3 || results[1] != 70 {
			t.Errorf("typed %v: two adds = %v, %v", typed, results, err)
		}
		if err := CallEach(cx, put, typed, 2, []int32{8, 0x41, 12, 0x42}, nil); err != nil {
			t.Errorf("typed %v: put: %v", typed, err)
		}
		mem := MemoryData(cx, LookupMemory(store, inst, "memory"))
		if mem[8] != 0x41 || mem[12] != 0x42 {
			t.Errorf("typed %v: put wrote %x %x", typed, mem[8], mem[12])
		}
	}
}

func TestCallEachFails(t *testing.T) {
	store, inst := instantiate(t, coreWAT, nil)
	cx := ContextOf(store)
	add := LookupFunc(store, inst, "add")
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"trap", func() error {
			_, err := CallI32(cx, LookupFunc(store, inst, "trap"), true, 1, 2)
			return err
		}, "unreachable"},
		{"trap in a batch", func() error {
			return CallEach(cx, LookupFunc(store, inst, "trap"), false, 2, []int32{1, 2, 3, 4}, make([]int32, 2))
		}, "unreachable"},
		{"i64 result", func() error {
			_, err := CallI32(cx, LookupFunc(store, inst, "wide"), false, 1, 2)
			return err
		}, "result is not an i32 (wasmtime value kind 1)"},
		{"wrong argument count, checked", func() error {
			_, err := CallI32(cx, add, false, 1, 2, 3)
			return err
		}, "expected 2 arguments, got 3"},
		{"no arguments", func() error { return CallEach(cx, add, false, 0, nil, nil) }, "0 arguments per call: unsupported"},
		{"too many arguments", func() error {
			return CallEach(cx, add, false, MaxCallArgs+1, make([]int32, MaxCallArgs+1), nil)
		}, "17 arguments per call: unsupported"},
		{"too few results", func() error { return CallEach(cx, add, false, 2, []int32{1, 2, 3, 4}, make([]int32, 1)) }, "1 results for 2 calls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if got, err := CallI32(cx, add, true, 20, 22); err != nil || got != 42 {
		t.Fatalf("add after the failures = %d, %v", got, err)
	}
}

// TestSetOutputFD: the guest's stdout and stderr go to the given file
// descriptors.
func TestSetOutputFD(t *testing.T) {
	var pipes [2][2]*os.File
	wasi := wasmtime.NewWasiConfig()
	for i, set := range []func(*wasmtime.WasiConfig, int){SetStdoutFD, SetStderrFD} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		pipes[i] = [2]*os.File{r, w}
		set(wasi, int(w.Fd()))
	}
	store, inst := instantiate(t, testwasm.StdioWriterWAT, wasi)
	if _, err := inst.GetFunc(store, "run").Call(store); err != nil {
		t.Fatal(err)
	}
	store.Close()
	for i, want := range []string{"out!", "err!"} {
		pipes[i][1].Close()
		got, err := io.ReadAll(pipes[i][0])
		pipes[i][0].Close()
		if err != nil || string(got) != want {
			t.Errorf("stream %d: %q, %v; want %q", i+1, got, err, want)
		}
	}
}

// growStack recurses depth times with a frame of ~1 KiB, so that the
// goroutine's stack grows (is copied) several times.
func growStack(depth int32) int32 {
	var pad [1024]byte
	pad[depth%1024] = byte(depth)
	if depth == 0 {
		return int32(pad[0])
	}
	return growStack(depth-1) + 1 + int32(pad[depth%1024]) - int32(byte(depth))
}

// TestCallEachStackMove: a host function called back during CallEach may
// grow, and so move, the calling goroutine's stack; the results still reach
// the caller's variables (what C writes through must not be on the stack).
func TestCallEachStackMove(t *testing.T) {
	store, inst := instantiateWith(t, `(module
  (import "host" "grow" (func $grow (param i32) (result i32)))
  (func (export "call") (param i32 i32) (result i32) (i32.add (call $grow (local.get 0)) (local.get 1))))`, nil,
		func(l *wasmtime.Linker) error { return l.FuncWrap("host", "grow", growStack) })
	cx := ContextOf(store)
	call := LookupFunc(store, inst, "call")
	for _, typed := range []bool{false, true} {
		done := make(chan struct{})
		go func() { // a fresh goroutine: a small stack, that the callback grows
			defer close(done)
			if got, err := CallI32(cx, call, typed, 2000, 5); err != nil || got != 2005 {
				t.Errorf("typed %v: call(2000, 5) = %d, %v", typed, got, err)
			}
			var results [2]int32
			fn := *call
			if err := CallEach(cx, &fn, typed, 2, []int32{3000, 1, 4000, 2}, results[:]); err != nil || results != [2]int32{3001, 4002} {
				t.Errorf("typed %v: two calls = %v, %v", typed, results, err)
			}
		}()
		<-done
	}
}

// CallEachMemory returns the memory as the calls left it: grown by the
// last one, written by the one before; a failed call returns none.
func TestCallEachMemory(t *testing.T) {
	store, inst := instantiate(t, `(module
	  (memory (export "memory") 1)
	  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
	  (func (export "put") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))`, nil)
	cx := ContextOf(store)
	memory := LookupMemory(store, inst, "memory")
	grow, put := LookupFunc(store, inst, "grow"), LookupFunc(store, inst, "put")
	mem, err := CallEachMemory(cx, put, true, 2, []int32{7, 0x5a}, nil, memory)
	if err != nil || len(mem) != 65536 || mem[7] != 0x5a {
		t.Fatalf("after put: %d bytes, [7] = %#x, %v", len(mem), mem[min(7, len(mem)-1)], err)
	}
	results := make([]int32, 2)
	mem, err = CallEachMemory(cx, grow, true, 1, []int32{1, 2}, results, memory)
	if err != nil || results[0] != 1 || results[1] != 2 || len(mem) != 4*65536 {
		t.Fatalf("after growing by 1 and 2 pages: %d bytes, results %v, %v", len(mem), results, err)
	}
	if mem, err := CallEachMemory(cx, put, true, 2, []int32{1 << 30, 1}, nil, memory); err == nil || mem != nil {
		t.Fatalf("out-of-bounds put: %d bytes, %v", len(mem), err)
	}
}
