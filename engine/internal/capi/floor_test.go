package capi

import (
	"errors"
	"strings"
	"testing"
)

// floorModule is a Spin 1.x HTTP module answering 200 "floor\n" (its
// return area at 0, the body at 64), or trapping when trap is set.
func floorModule(t *testing.T, trap bool) []byte {
	t.Helper()
	body := "(i32.const 0)"
	if trap {
		body = "unreachable"
	}
	wasm, err := Wat2Wasm(`(module
  (memory (export "memory") 1)
  (data (i32.const 0) "\c8\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\01\00\00\00\40\00\00\00\06\00\00\00")
  (data (i32.const 64) "floor\n")
  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32) ` + body + `))`)
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

// TestRequestFloor: each request instantiates the module afresh and copies
// its body out; what it cannot serve is an error naming why.
func TestRequestFloor(t *testing.T) {
	f, err := NewRequestFloor(floorModule(t, false), 8<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64)
	for range 3 {
		n, err := f.Request(buf)
		if err != nil || string(buf[:n]) != "floor\n" {
			t.Fatalf("Request = %q, %v; want floor\\n", buf[:n], err)
		}
	}
	if _, err := f.Request(buf[:3]); err == nil || !strings.Contains(err.Error(), "larger than 3 bytes") {
		t.Errorf("a body larger than the buffer: %v", err)
	}

	trapping, err := NewRequestFloor(floorModule(t, true), 8<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer trapping.Close()
	if _, err := trapping.Request(buf); err == nil {
		t.Error("a trapping guest's request succeeded")
	}

	noMemory, err := Wat2Wasm(`(module (func (export "handle-http-request")))`)
	if err != nil {
		t.Fatal(err)
	}
	bare, err := NewRequestFloor(noMemory, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	if _, err := bare.Request(buf); !errors.Is(err, errFloorNoExports) {
		t.Errorf("a module without the exports: %v, want %v", err, errFloorNoExports)
	}

	importing, err := Wat2Wasm(`(module (import "env" "f" (func)))`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewRequestFloor(importing, 0); err == nil || !strings.Contains(err.Error(), "resolve imports") {
		t.Errorf("a module with an import: %v, want an error resolving it", err)
	}
}
