package capi

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// adderWAT imports host(x) and exports run(x) = host(x) + 1 and trap().
const adderWAT = `(component
  (import "test:adder/host" (instance $host
    (export "host" (func (param "x" u32) (result u32)))))
  (alias export $host "host" (func $h))
  (core func $hl (canon lower (func $h)))
  (core module $m
    (import "" "host" (func $h (param i32) (result i32)))
    (func (export "run") (param i32) (result i32)
      local.get 0 call $h i32.const 1 i32.add)
    (func (export "trap") unreachable))
  (core instance $i (instantiate $m (with "" (instance (export "host" (func $hl))))))
  (func (export "run") (param "x" u32) (result u32) (canon lift (core func $i "run")))
  (func (export "trap") (canon lift (core func $i "trap"))))`

func newAdder(t *testing.T, e *Engine) *Component {
	t.Helper()
	wasm, err := Wat2Wasm(adderWAT)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.Compile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

type storeData struct{ calls int }

func adderLinker(t *testing.T, e *Engine) *Linker {
	t.Helper()
	l := e.NewLinker()
	t.Cleanup(l.Close)
	root := l.Root()
	defer root.Close()
	inst, err := root.Instance("test:adder/host")
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	err = inst.AddFunc("host", func(cx *Context, args []Val) ([]Val, error) {
		cx.Data().(*storeData).calls++
		x := args[0].(U32)
		if x == 13 {
			return nil, errors.New("unlucky")
		}
		return []Val{x * 2}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestCallThroughHostFunction(t *testing.T) {
	e := NewEngine()
	defer e.Close()
	c := newAdder(t, e)
	if !c.HasExport("run") || c.HasExport("nope") {
		t.Fatal("HasExport is wrong")
	}
	l := adderLinker(t, e)
	data := &storeData{}
	s := e.NewStore(data)
	defer s.Close()
	inst, err := l.Instantiate(context.Background(), s, c)
	if err != nil {
		t.Fatal(err)
	}
	run, err := inst.Func("run")
	if err != nil {
		t.Fatal(err)
	}
	out, err := run.Call(1, U32(20))
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != U32(41) || data.calls != 1 {
		t.Fatalf("run(20) = %v after %d host calls, want 41 after 1", out, data.calls)
	}
	// A host error traps the guest with its message.
	if _, err := run.Call(1, U32(13)); err == nil || !strings.Contains(err.Error(), "unlucky") {
		t.Fatalf("run(13) error = %v, want the host's message", err)
	}
}

func TestGuestTrapIsAnError(t *testing.T) {
	e := NewEngine()
	defer e.Close()
	c := newAdder(t, e)
	l := adderLinker(t, e)
	s := e.NewStore(&storeData{})
	defer s.Close()
	inst, err := l.Instantiate(context.Background(), s, c)
	if err != nil {
		t.Fatal(err)
	}
	f, err := inst.Func("trap")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Call(0)
	var werr *Error
	if !errors.As(err, &werr) || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("trap error = %v", err)
	}
}

func TestMissingImportFailsInstantiation(t *testing.T) {
	e := NewEngine()
	defer e.Close()
	c := newAdder(t, e)
	l := e.NewLinker()
	defer l.Close()
	s := e.NewStore(nil)
	defer s.Close()
	_, err := l.Instantiate(context.Background(), s, c)
	if err == nil || !strings.Contains(err.Error(), "test:adder/host") {
		t.Fatalf("error = %v, want one naming the missing import", err)
	}
}

func TestSerializeDeserializeFile(t *testing.T) {
	e := NewEngine()
	defer e.Close()
	c := newAdder(t, e)
	data, err := c.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "adder.cwasm")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c2, err := e.DeserializeFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	l := adderLinker(t, e)
	s := e.NewStore(&storeData{})
	defer s.Close()
	inst, err := l.Instantiate(context.Background(), s, c2)
	if err != nil {
		t.Fatal(err)
	}
	run, _ := inst.Func("run")
	if out, err := run.Call(1, U32(1)); err != nil || out[0] != U32(3) {
		t.Fatalf("run(1) = %v, %v", out, err)
	}
	if _, err := e.DeserializeFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("deserializing a missing file succeeded")
	}
}

func TestCompileRejectsGarbage(t *testing.T) {
	e := NewEngine()
	defer e.Close()
	if _, err := e.Compile([]byte("\x00asm\x0d\x00\x01\x00garbage")); err == nil {
		t.Fatal("compiled garbage")
	}
}
