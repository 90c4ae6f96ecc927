package coremodule

import (
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/test/testwasm"
)

// constModule compiles, for engine, a module whose f returns v.
func constModule(t *testing.T, engine *wasmtime.Engine, v string) *wasmtime.Module {
	t.Helper()
	return testwasm.Module(t, engine, `(module (func (export "f") (result i32) (i32.const `+v+`)))`)
}

// TestUpgradeToAnotherEngine: after UpgradeTo, Stores for the component
// are the new Host's and instantiate the new code, whichever Host the
// executor asks; a Store made before keeps the old code and Host (a
// request in flight finishes on it).
func TestUpgradeToAnotherEngine(t *testing.T) {
	winchEngine, craneliftEngine := winchAndCranelift(t)
	hosts := map[string]*Host{}
	for name, e := range map[string]*wasmtime.Engine{"winch": winchEngine, "cranelift": craneliftEngine} {
		h, err := NewHost(Config{Engine: e, InstanceLimit: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		hosts[name] = h
	}
	winch, cranelift := hosts["winch"], hosts["cranelift"]
	c := &Component{ID: "c", Module: constModule(t, winchEngine, "1")}

	call := func(s *Store) int32 {
		t.Helper()
		inst, err := winch.Instantiate(s, c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := capi.LookupFunc(s, inst, "f").Call(s)
		if err != nil {
			t.Fatal(err)
		}
		return got.(int32)
	}
	inFlight, err := winch.NewStore(t.Context(), c, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer inFlight.Close()
	if err := cranelift.PrepareUpgrade(winch, c); err != nil {
		t.Fatal(err)
	}
	c.UpgradeTo(cranelift, constModule(t, craneliftEngine, "2"))
	next, err := winch.NewStore(t.Context(), c, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if winch.InstancesInUse() != 1 || cranelift.InstancesInUse() != 1 {
		t.Errorf("instance slots in use: Winch %d, Cranelift %d; want one each", winch.InstancesInUse(), cranelift.InstancesInUse())
	}
	if got := call(next); got != 2 {
		t.Errorf("a Store made after the upgrade runs f = %d, want the new code's 2", got)
	}
	if got := call(inFlight); got != 1 {
		t.Errorf("a Store made before the upgrade runs f = %d, want the old code's 1", got)
	}

	// Retired (the App renewing its pool), the old Host drains once the
	// Store in flight is closed; Stores are made on the new one meanwhile.
	drained := winch.Retire()
	after, err := winch.NewStore(t.Context(), c, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	if got := call(after); got != 2 {
		t.Errorf("a Store made after the old Host retired runs f = %d, want the new code's 2", got)
	}
	select {
	case <-drained:
		t.Fatal("the old Host drained while a Store of it is open")
	default:
	}
	inFlight.Close()
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		t.Fatal("the old Host did not drain when its last Store closed")
	}
	if winch.Use() {
		t.Error("a retired Host took a Store")
	}
}

// winchAndCranelift are a Winch and a Cranelift module engine, closed when
// t ends.
func winchAndCranelift(t *testing.T) (winch, cranelift *wasmtime.Engine) {
	t.Helper()
	winch, _, err := capi.NewModuleEngineAt(capi.Winch)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(winch.Close)
	cranelift, _ = capi.NewModuleEngine()
	t.Cleanup(cranelift.Close)
	return winch, cranelift
}
