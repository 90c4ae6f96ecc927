package capi

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// spin3WAT imports a host instance at an older semver-compatible version, a
// Spin 3-style interface with a resource, a second interface using that
// resource (WIT `use`), and a function on its own. run() calls the host;
// open() calls the unknown [static]store.open.
const spin3WAT = `(component
  (import "test:adder/host@0.2.0" (instance $host
    (export "host" (func (param "x" u32) (result u32)))))
  (import "spin:key-value/key-value@3.0.0" (instance $kv
    (export "store" (type $store (sub resource)))
    (export "[static]store.open" (func (result (own $store))))
    (export "[method]store.exists" (func (param "self" (borrow $store)) (result bool)))))
  (alias export $kv "store" (type $store))
  (import "spin:key-value/watch@3.0.0" (instance $watch
    (alias outer 1 $store (type $s))
    (export "store" (type $ws (eq $s)))
    (export "watch" (func (param "s" (borrow $ws))))))
  (import "spin-legacy-hook" (func $hook))
  (alias export $host "host" (func $h))
  (alias export $kv "[static]store.open" (func $open))
  (alias export $kv "[method]store.exists" (func $exists))
  (alias export $watch "watch" (func $watchf))
  (core func $hl (canon lower (func $h)))
  (core func $openl (canon lower (func $open)))
  (core func $existsl (canon lower (func $exists)))
  (core func $watchl (canon lower (func $watchf)))
  (core func $hookl (canon lower (func $hook)))
  (core module $m
    (import "" "host" (func $h (param i32) (result i32)))
    (import "" "open" (func $open (result i32)))
    (import "" "exists" (func (param i32) (result i32)))
    (import "" "watch" (func (param i32)))
    (import "" "hook" (func $hook))
    (func (export "run") (param i32) (result i32) local.get 0 call $h)
    (func (export "open") (result i32) call $open)
    (func (export "hook") call $hook))
  (core instance $i (instantiate $m (with "" (instance
    (export "host" (func $hl)) (export "open" (func $openl)) (export "exists" (func $existsl))
    (export "watch" (func $watchl)) (export "hook" (func $hookl))))))
  (func (export "run") (param "x" u32) (result u32) (canon lift (core func $i "run")))
  (func (export "open") (result u32) (canon lift (core func $i "open")))
  (func (export "hook") (canon lift (core func $i "hook"))))`

func TestImports(t *testing.T) {
	e := NewEngine()
	defer e.Close()
	c := compileWAT(t, e, spin3WAT)
	got := c.Imports()
	if len(got) != 4 {
		t.Fatalf("imports = %+v, want 4", got)
	}
	kv, watch, hook := got[1], got[2], got[3]
	if kv.Name != "spin:key-value/key-value@3.0.0" || len(kv.Funcs) != 2 || len(kv.Resources) != 1 ||
		kv.Resources[0] != (ImportedResource{Name: "store", Origin: "spin:key-value/key-value@3.0.0#store"}) {
		t.Errorf("key-value import = %+v", kv)
	}
	// The watch interface's store is key-value's.
	if len(watch.Resources) != 1 || watch.Resources[0].Origin != "spin:key-value/key-value@3.0.0#store" {
		t.Errorf("watch import = %+v", watch)
	}
	if !hook.Func || hook.Name != "spin-legacy-hook" {
		t.Errorf("hook import = %+v", hook)
	}
}

func TestDefineMissingStubsOnlyWhatTheHostLacks(t *testing.T) {
	e := NewEngine()
	defer e.Close()
	c := compileWAT(t, e, spin3WAT)
	l := e.NewLinker()
	defer l.Close()
	root := l.Root()
	host, err := root.Instance("test:adder/host@0.2.6")
	if err != nil {
		t.Fatal(err)
	}
	if err := host.AddFunc("host", func(_ *Context, args []Val) ([]Val, error) { return []Val{args[0].(U32) * 3}, nil }); err != nil {
		t.Fatal(err)
	}
	host.Close()
	root.Close()
	unsupported := func(what string) error { return errors.New(what + " is not supported") }
	// Twice: the second call finds everything defined.
	for range 2 {
		if err := l.DefineMissing(c, unsupported); err != nil {
			t.Fatal(err)
		}
	}
	// A trap poisons the instance: a fresh one for each call.
	call := func(name string, nresults int, args ...Val) ([]Val, error) {
		return callFresh(t, l, e.NewStore(nil), c, name, nresults, args...)
	}
	// The host's @0.2.6 still serves the @0.2.0 import (not shadowed).
	if out, err := call("run", 1, U32(5)); err != nil || out[0] != U32(15) {
		t.Fatalf("run(5) = %v, %v; want 15 from the host function", out, err)
	}
	if _, err := call("open", 1); err == nil || !strings.Contains(err.Error(), "spin:key-value/key-value@3.0.0#[static]store.open is not supported") {
		t.Fatalf("open() error = %v, want a trap naming the function", err)
	}
	if _, err := call("hook", 0); err == nil || !strings.Contains(err.Error(), "spin-legacy-hook is not supported") {
		t.Fatalf("hook() error = %v, want a trap naming the function", err)
	}
}

func TestDefineMissingKeepsEarlierStubs(t *testing.T) {
	e := NewEngine()
	defer e.Close()
	// Two components import different functions of the same unknown
	// interface; both must still instantiate from the one linker.
	one := compileWAT(t, e, `(component
  (import "x:y/z@1.0.0" (instance $z (export "a" (func))))
  (alias export $z "a" (func $a))
  (core func $al (canon lower (func $a)))
  (core module $m (import "" "a" (func $a)) (func (export "run") call $a))
  (core instance $i (instantiate $m (with "" (instance (export "a" (func $al))))))
  (func (export "run") (canon lift (core func $i "run"))))`)
	two := compileWAT(t, e, `(component
  (import "x:y/z@1.0.0" (instance $z (export "b" (func))))
  (alias export $z "b" (func $b))
  (core func $bl (canon lower (func $b)))
  (core module $m (import "" "b" (func $b)) (func (export "run") call $b))
  (core instance $i (instantiate $m (with "" (instance (export "b" (func $bl))))))
  (func (export "run") (canon lift (core func $i "run"))))`)
	l := e.NewLinker()
	defer l.Close()
	unsupported := func(what string) error { return errors.New(what + " is not supported") }
	for _, c := range []*Component{one, two} {
		if err := l.DefineMissing(c, unsupported); err != nil {
			t.Fatal(err)
		}
	}
	for name, c := range map[string]*Component{"a": one, "b": two} {
		s := e.NewStore(nil)
		inst, err := l.Instantiate(context.Background(), s, c)
		if err != nil {
			s.Close()
			t.Fatalf("instantiate the component calling %s: %v", name, err)
		}
		run, _ := inst.Func("run")
		if _, err := run.Call(0); err == nil || !strings.Contains(err.Error(), "x:y/z@1.0.0#"+name+" is not supported") {
			t.Errorf("run() error = %v", err)
		}
		s.Close()
	}
}

func TestSemverKey(t *testing.T) {
	for in, want := range map[string]string{
		"wasi:http/types@0.2.0":            "wasi:http/types@0.2",
		"spin:key-value/key-value@3.1.2":   "spin:key-value/key-value@3",
		"fermyon:spin/config":              "fermyon:spin/config",
		"wasi:keyvalue/store@0.2.0-draft2": "wasi:keyvalue/store@0.2.0-draft2",
		"x:y/z@0.0.3":                      "x:y/z@0.0.3",
	} {
		if got := SemverKey(in); got != want {
			t.Errorf("SemverKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func compileWAT(t *testing.T, e *Engine, wat string) *Component {
	t.Helper()
	wasm, err := Wat2Wasm(wat)
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

// TestDefineMissingReusesHostResource: an unknown interface that uses a
// resource of an interface the host defines (here through a semver match)
// gets the host's resource type, so the component links.
func TestDefineMissingReusesHostResource(t *testing.T) {
	e := NewEngine()
	defer e.Close()
	c := compileWAT(t, e, `(component
  (import "t:io/poll@0.2.0" (instance $poll (export "pollable" (type $p (sub resource)))))
  (alias export $poll "pollable" (type $pollable))
  (import "x:y/timer@1.0.0" (instance $timer
    (alias outer 1 $pollable (type $p))
    (export "pollable" (type $tp (eq $p)))
    (export "subscribe" (func (result (own $tp))))))
  (alias export $timer "subscribe" (func $sub))
  (core func $subl (canon lower (func $sub)))
  (core module $m (import "" "sub" (func $sub (result i32))) (func (export "run") (result i32) call $sub))
  (core instance $i (instantiate $m (with "" (instance (export "sub" (func $subl))))))
  (func (export "run") (result (own $pollable)) (canon lift (core func $i "run"))))`)
	l := e.NewLinker()
	defer l.Close()
	root := l.Root()
	poll, err := root.Instance("t:io/poll@0.2.6")
	if err != nil {
		t.Fatal(err)
	}
	if err := poll.AddResource("pollable", 7, nil); err != nil {
		t.Fatal(err)
	}
	poll.Close()
	root.Close()
	if err := l.DefineMissing(c, func(what string) error { return errors.New(what + " is not supported") }); err != nil {
		t.Fatal(err)
	}
	if got := l.defined["x:y/timer@1.0.0"]["pollable"]; got != 7 {
		t.Errorf("stubbed pollable has type %d, want the host's 7", got)
	}
	s := e.NewStore(nil)
	defer s.Close()
	inst, err := l.Instantiate(context.Background(), s, c)
	if err != nil {
		t.Fatal(err)
	}
	run, _ := inst.Func("run")
	if _, err := run.Call(1); err == nil || !strings.Contains(err.Error(), "x:y/timer@1.0.0#subscribe is not supported") {
		t.Fatalf("run() error = %v", err)
	}
}
