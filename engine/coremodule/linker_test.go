package coremodule

import (
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/test/testwasm"
)

// TestHostLinksWhatModulesImport: a Host's linker starts empty and, as a
// module is first instantiated, defines the imports it names and no
// others: WASI preview1 whole for a module that imports part of it, each
// Spin 1.x import on its own (its implementation, or a stub that traps
// naming it). A second module adds what it imports; an import the Host
// does not know fails its instantiation naming it.
func TestHostLinksWhatModulesImport(t *testing.T) {
	h, engine := newEpochHost(t)
	probe := wasmtime.NewStore(engine)
	defer probe.Close()
	defined := func(module, name string) bool {
		h.linkMu.RLock()
		defer h.linkMu.RUnlock()
		return h.linker.Get(probe, module, name) != nil
	}
	checkDefined := func(want map[[2]string]bool) {
		t.Helper()
		for imp, w := range want {
			if got := defined(imp[0], imp[1]); got != w {
				t.Errorf("%s.%s defined: %v, want %v", imp[0], imp[1], got, w)
			}
		}
	}
	checkDefined(map[[2]string]bool{
		{"wasi_snapshot_preview1", "fd_write"}: false, {"key-value", "open"}: false, {"outbound-pg", "query"}: false,
	})

	kv := &Component{ID: "kv", Module: testwasm.Module(t, engine, `(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "key-value" "open" (func (param i32 i32 i32)))
  (memory (export "memory") 1))`)}
	s, _ := newInstance(t, h, kv)
	s.Close()
	checkDefined(map[[2]string]bool{
		{"wasi_snapshot_preview1", "fd_write"}: true, {"wasi_snapshot_preview1", "proc_exit"}: true,
		{"key-value", "open"}: true, {"key-value", "get"}: false, {"outbound-pg", "query"}: false,
	})

	pg := &Component{ID: "pg", Module: testwasm.Module(t, engine, `(module
  (import "outbound-pg" "query" (func (param i32 i32 i32 i32 i32 i32 i32)))
  (import "fermyon:spin/key-value" "get" (func (param i32 i32 i32 i32))))`)}
	s, _ = newInstance(t, h, pg)
	s.Close()
	checkDefined(map[[2]string]bool{
		{"outbound-pg", "query"}: true, {"fermyon:spin/key-value", "get"}: true, {"key-value", "open"}: true,
		{"outbound-mysql", "query"}: false,
	})

	unknown := &Component{ID: "unknown", Module: testwasm.Module(t, engine, `(module
  (import "spin-nonesuch" "call" (func)))`)}
	s, err := h.NewStore(t.Context(), unknown, StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := h.Instantiate(s, unknown); err == nil || !strings.Contains(err.Error(), "spin-nonesuch") {
		t.Errorf("instantiating a module with an unknown import: %v, want an error naming it", err)
	}
}
