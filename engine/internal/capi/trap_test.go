package capi

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/test/testwasm"
)

// trapChildEnv marks the child process of TestTrapsWithoutNativeBacktrace.
const trapChildEnv = "SPINOCI_CAPI_TRAP_CHILD"

// With Rust backtraces on (set before the process starts, as a container's
// environment would), a host trap's message carries the guest's message
// and the wasm backtrace, not the host's native stack: for core modules
// through wasmtime-go (TrimNative) and through this package's calls.
func TestTrapsWithoutNativeBacktrace(t *testing.T) {
	if os.Getenv(trapChildEnv) != "" {
		trapChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTrapsWithoutNativeBacktrace$", "-test.v")
	cmd.Env = append(os.Environ(), trapChildEnv+"=1", "RUST_BACKTRACE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "untrimmed has a native backtrace") {
		t.Fatalf("the child did not see a native backtrace to trim (RUST_BACKTRACE ignored?):\n%s", out)
	}
}

func trapChild(t *testing.T) {
	e, _ := NewModuleEngine()
	defer e.Close()
	m := testwasm.Module(t, e, `(module (import "h" "f" (func $f)) (func $inner (call $f))
	  (func (export "run") (param i32) (call $inner)))`)
	s := wasmtime.NewStore(e)
	defer s.Close()
	s.SetEpochDeadline(1 << 30)
	l := wasmtime.NewLinker(e)
	defer l.Close()
	if err := l.FuncWrap("h", "f", func() *wasmtime.Trap { return wasmtime.NewTrap("boom from the guest") }); err != nil {
		t.Fatal(err)
	}
	inst, err := l.Instantiate(s, m)
	if err != nil {
		t.Fatal(err)
	}
	_, raw := inst.GetFunc(s, "run").Call(s, 0)
	if raw == nil {
		t.Fatal("no trap")
	}
	if strings.Contains(raw.Error(), nativeBacktrace) {
		t.Log("untrimmed has a native backtrace")
	}
	capiErr := CallEach(ContextOf(s), LookupFunc(s, inst, "run"), false, 1, []int32{0}, nil)
	for name, err := range map[string]error{"TrimNative": TrimNative(raw), "CallEach": capiErr} {
		msg := err.Error()
		for _, want := range []string{"boom from the guest", "wasm backtrace", "wasm function"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: %q lacks %q", name, msg, want)
			}
		}
		for _, noise := range []string{nativeBacktrace, "asmcgocall", "anyhow", "wasmtime_trap_new"} {
			if strings.Contains(msg, noise) {
				t.Errorf("%s: %q contains %q", name, msg, noise)
			}
		}
	}
	var werr *wasmtime.Error
	if !errors.As(TrimNative(raw), &werr) {
		t.Errorf("TrimNative(%T) hides the original", raw)
	}
}

func TestTrimNative(t *testing.T) {
	msg := "error while executing at wasm backtrace:\n    0:  0x2a - <unknown>!f\n\nCaused by:\n    boom\n\nStack backtrace:\n   0: anyhow::kind::Adhoc::new\n   1: runtime.asmcgocall"
	if got, want := trimNative(msg), "error while executing at wasm backtrace:\n    0:  0x2a - <unknown>!f\n\nCaused by:\n    boom"; got != want {
		t.Errorf("trimNative = %q, want %q", got, want)
	}
	if TrimNative(nil) != nil {
		t.Error("TrimNative(nil) != nil")
	}
}
