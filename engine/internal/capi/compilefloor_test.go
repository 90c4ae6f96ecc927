package capi

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/spinoci/spinoci/test/cpubench"
)

// builtWasm reads a test app that make testapps built (skipping when it is
// not there).
func builtWasm(tb testing.TB, name string) []byte {
	tb.Helper()
	dir := os.Getenv("SPINOCI_APPS_DIR")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "build", "apps")
	}
	wasm, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		tb.Skipf("%s not built (make testapps)", name)
	}
	return wasm
}

// floorApps are the apps of a first start's target: a Rust and a Go
// wasip1 module and a Spin 3 http-js component.
var floorApps = []string{"spin-rust.wasm", "spin-go.wasm", "js-hello.wasm"}

// floorSettings are the compile settings BenchmarkCompile compares.
func floorSettings() []struct {
	name string
	s    compileSettings
} {
	return []struct {
		name string
		s    compileSettings
	}{
		{"optimized", compileSettings{tier: Optimized}},
		{"fast", compileSettings{tier: Fast}}, // Cranelift's fast tier, where Winch is not usable
		{"fast-serial", compileSettings{tier: Fast, serial: true}},
		{"fast-no-unwind-info", compileSettings{tier: Fast, noUnwind: true}},
		{"none-backtracking", compileSettings{tier: Fast, flags: map[string]string{regallocFlag: "backtracking"}}},
		{"speed-single-pass", compileSettings{tier: Optimized, flags: map[string]string{regallocFlag: regallocSinglePass}}},
		{"winch", compileSettings{tier: Fast, winch: true}}, // what a first start compiles
		{"winch-optimized-trampolines", compileSettings{tier: Optimized, winch: true}},
		{"winch-serial", compileSettings{tier: Fast, winch: true, serial: true}},
	}
}

// BenchmarkCompile is the pure compilation of each first-start app (no
// cache, no process start) with each compile setting the C API offers,
// plus Winch, which it does not offer (selectWinch; the fast tier's
// compiler where usable): wall time per op and CPU time
// (cpu-ns/op, all threads). Run it with -benchtime=1x (the JS component's
// optimised compile takes seconds of CPU):
//
//	go test -run '^$' -bench BenchmarkCompile -benchtime 1x ./engine/internal/capi/
func BenchmarkCompile(b *testing.B) {
	for _, app := range floorApps {
		wasm := builtWasm(b, app)
		for _, st := range floorSettings() {
			b.Run(app+"/"+st.name, func(b *testing.B) {
				e, err := newEngineWith(st.s)
				if err != nil {
					b.Skip(err)
				}
				defer e.Close()
				var size int
				report := cpubench.Start(b)
				for b.Loop() {
					size, err = compileSize(e, wasm)
					if err != nil {
						b.Fatal(err)
					}
				}
				report()
				b.ReportMetric(float64(size), "code-bytes")
			})
		}
	}
}

// compileSize compiles wasm with e and returns its code's serialized size.
// It serializes as a compile stage does, in Wasmtime's memory: a copy to
// the Go heap (Component.Serialize) would add what a first start does not
// pay, ~0.3 s of fresh pages for the JS component's ~70 MB on a machine
// whose page faults are slow.
func compileSize(e *Engine, wasm []byte) (int, error) {
	if !isComponentBinary(wasm) {
		return e.compileModuleSize(wasm)
	}
	c, err := e.Compile(wasm)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	data, release, err := serializeComponent(c)
	if err != nil {
		return 0, err
	}
	defer release()
	return len(data), nil
}

// isComponentBinary reports whether wasm is a component (its layer field).
func isComponentBinary(wasm []byte) bool { return len(wasm) >= 8 && wasm[6] == 1 }

// BenchmarkStoreFastEntry is what a first start's compile stage does after
// compiling: serialize the fast code (Winch's) and write its cache entry
// (code and checksum).
func BenchmarkStoreFastEntry(b *testing.B) {
	for _, app := range floorApps {
		wasm := builtWasm(b, app)
		b.Run(app, func(b *testing.B) {
			if isComponentBinary(wasm) {
				e, err := NewEngineAt(Winch)
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				benchmarkStore(b, wasm, componentCodec(e))
				return
			}
			engine, err := NewModuleCompileEngine(Winch)
			if err != nil {
				b.Fatal(err)
			}
			defer engine.Close()
			benchmarkStore(b, wasm, moduleCodec(engine, Winch))
		})
	}
}

func benchmarkStore[T any](b *testing.B, wasm []byte, c codec[T]) {
	v, err := c.compile(wasm)
	if err != nil {
		b.Fatal(err)
	}
	defer c.close(v)
	dir := b.TempDir()
	cache := NewCache(dir)
	code, sum := entryFiles(dir, sha256.Sum256(wasm), "bench")
	report := cpubench.Start(b)
	for b.Loop() {
		if err := c.store(cache, code, sum, v); err != nil {
			b.Fatal(err)
		}
	}
	report()
}

// TestSelectWinch checks that the layout selectWinch relies on is the
// pinned library's: an engine it configures compiles code that engines of
// Cranelift refuse to load.
func TestSelectWinch(t *testing.T) {
	wasm, err := Wat2Wasm(`(component (core module (func (export "f"))))`)
	if err != nil {
		t.Fatal(err)
	}
	w, err := newEngineWith(compileSettings{winch: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	c, err := w.Compile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data, err := c.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "winch.cwasm")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	e := NewEngine()
	defer e.Close()
	if c, err := e.DeserializeFile(path); err == nil {
		c.Close()
		t.Fatal("a Cranelift engine loaded code compiled by the engine configured for Winch: it compiled with Cranelift")
	}
	if c, err := w.DeserializeFile(path); err != nil {
		t.Fatalf("the Winch engine cannot load its own code: %v", err)
	} else {
		c.Close()
	}
}
