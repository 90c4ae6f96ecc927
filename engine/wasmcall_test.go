package engine

import (
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/executor/spinhttp"
	"github.com/spinoci/spinoci/test/testio"
)

// Variants of spinWAT's exports with other types than the Spin ABI's.
const (
	reallocWAT = `(func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)`
	freeWAT    = `(func (export "canonical_abi_free") (param i32 i32 i32))`
)

// TestSpinWrongSignaturesFail: exports whose types differ from the Spin
// ABI are called with wasmtime's type checks, so that the request fails
// with a 500 naming the problem rather than running with bad values.
func TestSpinWrongSignaturesFail(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, log string
	}{
		{"realloc returns i64", reallocWAT,
			`(func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i64) (i64.const 4096))
  (func $unused (param i32 i32 i32 i32) (result i32)`,
			"canonical_abi_realloc: result is not an i32"},
		{"free takes four params", freeWAT,
			`(func (export "canonical_abi_free") (param i32 i32 i32 i32))`,
			"canonical_abi_free: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wat := strings.Replace(spinWAT(echoHandler(200)), tc.from, tc.to, 1)
			if wat == spinWAT(echoHandler(200)) {
				t.Fatal("fixture changed: nothing replaced")
			}
			a := singleApp(t, watFile(t, wat), "/...", nil, Config{})
			logs := &testio.Buffer{}
			expect(t, do(t, a.Handler(), "GET", "/", "", withLog(logs)), 500, "")
			if !strings.Contains(logs.String(), tc.log) {
				t.Errorf("log does not name the problem (%q): %s", tc.log, logs)
			}
		})
	}
}

// TestSpinAllocatorTrapFails: a trap in canonical_abi_realloc, called
// without wasmtime's type checks, is a 500 with the trap logged, and the
// next request is served again.
func TestSpinAllocatorTrapFails(t *testing.T) {
	// realloc traps when asked for exactly 7 bytes (the body "trap me").
	wat := strings.Replace(spinWAT(echoHandler(200)), reallocWAT+`
    (local $p i32)`, reallocWAT+`
    (local $p i32)
    (if (i32.eq (local.get 3) (i32.const 7)) (then unreachable))`, 1)
	if !strings.Contains(wat, "unreachable") {
		t.Fatal("fixture changed: nothing replaced")
	}
	a := singleApp(t, watFile(t, wat), "/...", nil, Config{})
	if !a.router.routes[0].handler.exec.(*spinhttp.Executor).Typed() {
		t.Fatal("fixture does not have the Spin signatures")
	}
	logs := &testio.Buffer{}
	expect(t, do(t, a.Handler(), "POST", "/", "trap me", withLog(logs)), 500, "")
	if !strings.Contains(logs.String(), "canonical_abi_realloc") || !strings.Contains(logs.String(), "unreachable") {
		t.Errorf("trap not logged: %s", logs)
	}
	expect(t, do(t, a.Handler(), "POST", "/", "fine"), 200, "fine")
}
