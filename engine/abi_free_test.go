package engine

import (
	"encoding/binary"
	"net/http"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/test/testio"
)

// TestSpinFreesResponse checks that, after reading the response, the host
// frees what the guest returned exactly as the Spin adapter's post-return
// does: each header name and value (align 1), the tuple
// array (count*16, align 4), then the body (align 1).
func TestSpinFreesResponse(t *testing.T) {
	// canonical_abi_free writes its (ptr, size, align) to stdout.
	wat := spinWAT(echoHandler(200))
	wat = strings.Replace(wat,
		`(import "wasi_snapshot_preview1" "fd_write" (func (param`,
		`(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param`, 1)
	freeFunc := `(func (export "canonical_abi_free") (param i32 i32 i32))`
	if !strings.Contains(wat, freeFunc) {
		t.Fatal("fixture changed: no canonical_abi_free to replace")
	}
	wat = strings.Replace(wat, freeFunc, `(func (export "canonical_abi_free") (param $p i32) (param $n i32) (param $a i32)
    (i32.store (i32.const 32) (local.get $p))
    (i32.store (i32.const 36) (local.get $n))
    (i32.store (i32.const 40) (local.get $a))
    (i32.store (i32.const 48) (i32.const 32))
    (i32.store (i32.const 52) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 48) (i32.const 1) (i32.const 56))))`, 1)
	stdout := &testio.Buffer{}
	a := singleApp(t, watFile(t, wat), "/...", nil, Config{Stdout: stdout})
	w := do(t, a.Handler(), "POST", "/", "body!", func(r *http.Request) { r.Header.Set("X-One", "1") })
	if w.Code != 200 || w.Body.String() != "body!" {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
	a.Close() // flush guest stdout
	out := []byte(stdout.String())
	if len(out)%12 != 0 {
		t.Fatalf("stdout is not (ptr, size, align) triples: %d bytes", len(out))
	}
	type free struct{ ptr, size, align uint32 }
	var frees []free
	for i := 0; i < len(out); i += 12 {
		le := binary.LittleEndian
		frees = append(frees, free{le.Uint32(out[i:]), le.Uint32(out[i+4:]), le.Uint32(out[i+8:])})
	}
	// The echoed headers: the incoming ones plus Spin's seven.
	n := len(frees) - 2
	if n < 2*8 || n%2 != 0 {
		t.Fatalf("%d frees before the array and the body, want two per header (≥ 8 headers): %v", n, frees)
	}
	for _, f := range frees[:n] {
		if f.align != 1 {
			t.Errorf("header string freed with align %d: %v", f.align, f)
		}
	}
	if arr := frees[n]; arr.size != uint32(n/2*16) || arr.align != 4 {
		t.Errorf("tuple array freed as %+v, want size %d align 4", arr, n/2*16)
	}
	if body := frees[n+1]; body.size != 5 || body.align != 1 {
		t.Errorf("body freed as %+v, want size 5 align 1", body)
	}
}

// TestSpinDoesNotCallStart: TinyGo modules export _start as well as
// handle-http-request; the Spin executor must not run it.
func TestSpinDoesNotCallStart(t *testing.T) {
	wat := strings.Replace(spinWAT(echoHandler(200)), `(func (export "canonical_abi_free")`,
		`(func (export "_start") unreachable) (func (export "canonical_abi_free")`, 1)
	a := singleApp(t, watFile(t, wat), "/...", nil, Config{})
	expect(t, do(t, a.Handler(), "PUT", "/x", "b"), 200, "b")
}
