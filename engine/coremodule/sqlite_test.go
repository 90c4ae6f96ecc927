package coremodule

import (
	"context"
	"encoding/binary"
	"math"
	"reflect"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/spinoci/spinoci/engine/capability/llm"
	"github.com/spinoci/spinoci/engine/capability/sqlite"
	"github.com/spinoci/spinoci/test/testwasm"
)

// platformWAT calls Spin 1.x's sqlite and llm imports with the arguments
// its exports get; each returns the return area the host wrote.
const platformWAT = `(module
  (import "sqlite" "open" (func $open (param i32 i32 i32)))
  (import "sqlite" "execute" (func $execute (param i32 i32 i32 i32 i32 i32)))
  (import "sqlite" "close" (func $close (param i32)))
  (import "llm" "infer" (func $infer (param i32 i32 i32 i32 i32 i32 f32 i32 f32 i32 f32 i32)))
` + bumpAllocatorWAT + `
  (func (export "open") (param i32 i32) (result i32)
    (call $open (local.get 0) (local.get 1) (i32.const 64)) (i32.const 64))
  (func (export "execute") (param i32 i32 i32 i32 i32) (result i32)
    (call $execute (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (i32.const 64))
    (i32.const 64))
  (func (export "close") (param i32) (call $close (local.get 0)))
  (func (export "infer") (param i32 i32) (result i32)
    (call $infer (local.get 0) (local.get 1) (i32.const 0) (i32.const 0) (i32.const 1)
      (i32.const 10) (f32.const 1.1) (i32.const 64) (f32.const 0.8) (i32.const 40) (f32.const 0.9) (i32.const 64))
    (i32.const 64)))`

// bumpAllocatorWAT is the memory and canonical_abi_realloc (a bump
// allocator from 64 KiB) of the test modules.
const bumpAllocatorWAT = `
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (func (export "canonical_abi_realloc") (param i32 i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (local.get $p))`

// platformInstance instantiates platformWAT for a component with sqlite
// access and ai_models.
type platformInstance struct {
	t     *testing.T
	store *Store
	inst  *wasmtime.Instance
	next  uint32 // where the test writes its next argument
}

func newPlatformInstance(t *testing.T, c *Component) *platformInstance {
	t.Helper()
	return newWATInstance(t, c, platformWAT)
}

// newWATInstance instantiates a module written in WAT for component c.
func newWATInstance(t *testing.T, c *Component, wat string) *platformInstance {
	t.Helper()
	engine := wasmtime.NewEngine()
	h, err := NewHost(Config{Engine: engine})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	c.Module = testwasm.Module(t, engine, wat)
	store, err := h.NewStore(context.Background(), c, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	inst, err := h.Instantiate(store, c)
	if err != nil {
		t.Fatal(err)
	}
	return &platformInstance{t: t, store: store, inst: inst, next: 1024}
}

func (p *platformInstance) mem() []byte {
	return p.inst.GetExport(p.store, "memory").Memory().UnsafeData(p.store)
}

// put writes b (8-aligned) and returns its pointer and length.
func (p *platformInstance) put(b []byte) (int32, int32) {
	p.next = (p.next + 7) &^ 7
	ptr := p.next
	copy(p.mem()[ptr:], b)
	p.next += uint32(len(b))
	return int32(ptr), int32(len(b))
}

// putRef puts b in the guest's memory and writes its pointer and length,
// two little-endian u32s, at the start of ref.
func (p *platformInstance) putRef(ref, b []byte) {
	ptr, n := p.put(b)
	binary.LittleEndian.PutUint32(ref, uint32(ptr))
	binary.LittleEndian.PutUint32(ref[4:], uint32(n))
}

func (p *platformInstance) call(name string, args ...any) []byte {
	p.t.Helper()
	out, err := p.inst.GetFunc(p.store, name).Call(p.store, args...)
	if err != nil {
		p.t.Fatalf("%s: %v", name, err)
	}
	if out == nil {
		return nil
	}
	ret := uint32(out.(int32))
	return append([]byte{}, p.mem()[ret:ret+20]...)
}

func (p *platformInstance) u32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }

func (p *platformInstance) str(ptr, n uint32) string { return string(p.mem()[ptr : ptr+n]) }

// values encodes sqlite values as the guest passes them (16 bytes each).
func (p *platformInstance) values(vs []sqlite.Value) (int32, int32) {
	buf := make([]byte, 16*len(vs))
	for i, v := range vs {
		e := buf[16*i:]
		e[0] = byte(v.Kind)
		switch v.Kind {
		case sqlite.Integer:
			binary.LittleEndian.PutUint64(e[8:], uint64(v.Integer))
		case sqlite.Real:
			binary.LittleEndian.PutUint64(e[8:], math.Float64bits(v.Real))
		case sqlite.Text, sqlite.Blob:
			b := v.Blob
			if v.Kind == sqlite.Text {
				b = []byte(v.Text)
			}
			p.putRef(e[8:], b)
		}
	}
	ptr, _ := p.put(buf)
	return ptr, int32(len(vs))
}

// readValue decodes a value the host wrote.
func (p *platformInstance) readValue(e []byte) sqlite.Value {
	v := sqlite.Value{Kind: sqlite.Kind(e[0])}
	switch v.Kind {
	case sqlite.Integer:
		v.Integer = int64(binary.LittleEndian.Uint64(e[8:]))
	case sqlite.Real:
		v.Real = math.Float64frombits(binary.LittleEndian.Uint64(e[8:]))
	case sqlite.Text:
		v.Text = p.str(p.u32(e, 8), p.u32(e, 12))
	case sqlite.Blob:
		v.Blob = []byte(p.str(p.u32(e, 8), p.u32(e, 12)))
	}
	return v
}

func TestSpin1SQLite(t *testing.T) {
	ctx := context.Background()
	dbs := sqlite.NewDatabases("")
	defer dbs.Close()
	access, err := dbs.Access(ctx, []string{sqlite.DefaultLabel})
	if err != nil {
		t.Fatal(err)
	}
	p := newPlatformInstance(t, &Component{ID: "c", SQLite: access})
	open := func(label string) []byte {
		ptr, n := p.put([]byte(label))
		return p.call("open", ptr, n)
	}
	if r := open("secret"); r[0] != 1 || r[4] != sqlErrAccessDenied {
		t.Errorf("open(secret) = %v, want access-denied", r[:8])
	}
	r := open("default")
	if r[0] != 0 {
		t.Fatalf("open(default) = %v", r[:8])
	}
	conn := int32(p.u32(r, 4))
	exec := func(conn int32, stmt string, params []sqlite.Value) []byte {
		sp, sn := p.put([]byte(stmt))
		pp, pn := p.values(params)
		return p.call("execute", conn, sp, sn, pp, pn)
	}
	row := []sqlite.Value{
		{Kind: sqlite.Integer, Integer: -42},
		{Kind: sqlite.Real, Real: 3.25},
		{Kind: sqlite.Text, Text: "tëxt"},
		{Kind: sqlite.Blob, Blob: []byte{0, 1, 2}},
		{Kind: sqlite.Null},
	}
	if r := exec(conn, "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)", nil); r[0] != 0 {
		t.Fatalf("CREATE: %v", r)
	}
	if r := exec(conn, "INSERT INTO t VALUES (?, ?, ?, ?, ?)", row); r[0] != 0 {
		t.Fatalf("INSERT: %v", r)
	}
	r = exec(conn, "SELECT i, r, s, b, n FROM t", nil)
	if r[0] != 0 {
		t.Fatalf("SELECT: %v (%s)", r, p.str(p.u32(r, 8), p.u32(r, 12)))
	}
	var cols []string
	for i := range p.u32(r, 8) {
		e := p.mem()[p.u32(r, 4)+8*i:]
		cols = append(cols, p.str(p.u32(e, 0), p.u32(e, 4)))
	}
	if want := []string{"i", "r", "s", "b", "n"}; !reflect.DeepEqual(cols, want) {
		t.Errorf("columns = %q, want %q", cols, want)
	}
	if n := p.u32(r, 16); n != 1 {
		t.Fatalf("%d rows, want 1", n)
	}
	rowEntry := p.mem()[p.u32(r, 12):]
	vals, nvals := p.u32(rowEntry, 0), p.u32(rowEntry, 4)
	if vals%8 != 0 {
		t.Errorf("values at %d: not 8-aligned", vals)
	}
	var got []sqlite.Value
	for i := range nvals {
		got = append(got, p.readValue(p.mem()[vals+16*i:]))
	}
	if !reflect.DeepEqual(got, row) {
		t.Errorf("row = %+v, want %+v", got, row)
	}
	if r := exec(conn, "SELECT * FROM nowhere", nil); r[0] != 1 || r[4] != sqlErrIO || p.str(p.u32(r, 8), p.u32(r, 12)) == "" {
		t.Errorf("bad SQL = %v, want io with a message", r)
	}
	p.call("close", conn)
	if r := exec(conn, "SELECT 1", nil); r[0] != 1 || r[4] != sqlErrInvalidConnection {
		t.Errorf("closed connection = %v, want invalid-connection", r[:8])
	}
}

func TestSpin1LLM(t *testing.T) {
	p := newPlatformInstance(t, &Component{ID: "c", LLM: llm.NewEngine([]string{"llama2-chat"})})
	for model, want := range map[string]uint8{"llama2-chat": llmErrRuntime, "gpt": llmErrInvalidInput} {
		ptr, n := p.put([]byte(model))
		r := p.call("infer", ptr, n)
		if r[0] != 1 || r[4] != want || p.str(p.u32(r, 8), p.u32(r, 12)) == "" {
			t.Errorf("infer(%s) = %v, want error %d with a message", model, r[:16], want)
		}
	}
}
