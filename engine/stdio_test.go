package engine

import (
	"strings"
	"testing"

	"github.com/spinoci/spinoci/test/testio"
)

// TestGuestOutputLarge: guest output larger than a pipe's buffer reaches
// Config.Stdout and Config.Stderr whole (the guest blocks while the App
// copies it out).
func TestGuestOutputLarge(t *testing.T) {
	const size = 1 << 20 // 16 wasm pages of the module's 64
	wat := strings.Replace(spinWAT(`
    ;; iovec {ptr 65536, len size} at 64; nwritten at 72
    (i32.store (i32.const 64) (i32.const 65536))
    (i32.store (i32.const 68) (i32.const 1048576))
    (memory.fill (i32.const 65536) (i32.const 120) (i32.const 1048576))
    (drop (call $fd_write (i32.const 1) (i32.const 64) (i32.const 1) (i32.const 72)))
    (drop (call $fd_write (i32.const 2) (i32.const 64) (i32.const 1) (i32.const 72)))
    (i32.store16 (i32.const 0) (i32.const 200))
    (i32.store8 (i32.const 4) (i32.const 0))
    (i32.store8 (i32.const 16) (i32.const 0))
    (i32.const 0)`),
		`(import "wasi_snapshot_preview1" "fd_write" (func (param`,
		`(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param`, 1)
	if !strings.Contains(wat, "$fd_write (param") {
		t.Fatal("fixture changed: fd_write not renamed")
	}
	stdout, stderr := &testio.Buffer{}, &testio.Buffer{}
	a := singleApp(t, watFile(t, wat), "/...", nil, Config{Stdout: stdout, Stderr: stderr})
	for i := 0; i < 2; i++ {
		expect(t, do(t, a.Handler(), "GET", "/", ""), 200, "")
	}
	a.Close() // flushes guest output
	want := strings.Repeat("x", 2*size)
	if got := stdout.String(); got != want {
		t.Errorf("stdout: %d bytes, want %d bytes of x", len(got), len(want))
	}
	if got := stderr.String(); got != want {
		t.Errorf("stderr: %d bytes, want %d bytes of x", len(got), len(want))
	}
}
