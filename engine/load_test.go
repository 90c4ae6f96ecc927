package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/test/testio"
)

func TestLoadRejects(t *testing.T) {
	spinOnly := func(exports string) string {
		return `(module (memory (export "memory") 1)
  (func $f (param i32 i32 i32 i32) (result i32) (i32.const 0))
  (func $h (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32) (i32.const 0))
  ` + exports + `)`
	}
	for _, tc := range []struct {
		name, wasm, executor, want string
	}{
		{"component", bytesFile(t, []byte("\x00asm\x0d\x00\x01\x00")), "",
			`component "c": component exports no wasi:http/incoming-handler@0.2.x interface`},
		{"elf", bytesFile(t, []byte("\x7fELF\x02\x01\x01\x00\x00\x00")), "", `component "c": not a wasm binary`},
		{"unknown version", bytesFile(t, []byte("\x00asm\x02\x00\x00\x00")), "", `component "c": not a wasm binary`},
		{"missing free", watFile(t, spinOnly(`(export "canonical_abi_realloc" (func $f)) (export "handle-http-request" (func $h))`)), "",
			`component "c": component is not compatible with Spin executor - should this use the Wagi executor?`},
		{"wagi module under spin", watFile(t, wagiWAT("_start", "x", "")), "",
			"component is not compatible with Spin executor - should this use the Wagi executor?"},
		{"wit-bindgen 0.8", watFile(t, spinOnly(`(export "fermyon:spin/inbound-http#handle-request" (func $h))`)), "",
			`does not export the function "cabi_realloc"`},
		{"wasi:http", watFile(t, spinOnly(`(export "wasi:http/incoming-handler@0.2.0#handle" (func $h))`)), "",
			`unsupported ABI: module exports "wasi:http/incoming-handler@0.2.0#handle"`},
		{"pre-0.1", watFile(t, spinOnly(`(export "handler" (func $h))`)), "", `obsolete pre-0.1 Spin ABI`},
		{"invalid module", bytesFile(t, []byte("\x00asm\x01\x00\x00\x00\xff")), "", `component "c": compile:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := newLock(t, nil, []testComponent{{id: "c", wasm: tc.wasm}}, []testTrigger{{component: "c", route: "/..."}})
			a, err := loadLock(t, t.Context(), app, Config{})
			if err == nil {
				a.Close()
				t.Fatal("Load succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestModuleCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	wasm, err := os.ReadFile(appPath("hello.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	app := newLock(t, nil, []testComponent{{id: "c", wasm: appPath("hello.wasm")}}, []testTrigger{{component: "c", route: "/..."}})

	loadLogged := func() string {
		t.Helper()
		logs := &testio.Buffer{}
		a, err := loadLock(t, logTo(logs), app, Config{CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		expect(t, do(t, a.Handler(), "GET", "/", ""), 200, "hello from spinoci\n")
		return logs.String()
	}

	if logs := loadLogged(); strings.Contains(logs, "loaded compiled module from cache") {
		t.Fatalf("first load used the cache: %s", logs)
	}
	code, sum := capi.CacheFiles(dir, wasm, capi.ModuleConfigID)
	cwasm, err := os.ReadFile(code)
	if err != nil {
		t.Fatalf("cache entry not written: %v", err)
	}
	if _, err := os.Stat(sum); err != nil {
		t.Fatalf("cache checksum not written: %v", err)
	}
	if logs := loadLogged(); !strings.Contains(logs, "loaded compiled module from cache") {
		t.Fatalf("second load did not use the cache: %s", logs)
	}

	// A corrupt entry is never deserialized: recompiled and rewritten.
	bad := bytes.Clone(cwasm)
	bad[len(bad)/2] ^= 0xff
	if err := os.WriteFile(code, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if logs := loadLogged(); !strings.Contains(logs, "checksum mismatch") {
		t.Fatalf("corrupt entry not detected: %s", logs)
	}
	if logs := loadLogged(); !strings.Contains(logs, "loaded compiled module from cache") {
		t.Fatalf("entry not rewritten after corruption: %s", logs)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Fatalf("cache dir holds %d entries", len(entries))
	}
}

func TestCompileOncePerApp(t *testing.T) {
	app := newLock(t, nil,
		[]testComponent{{id: "a", wasm: appPath("hello.wasm")}, {id: "b", wasm: appPath("hello.wasm")}},
		[]testTrigger{{component: "a", route: "/a/..."}, {component: "b", route: "/b/..."}, {component: "a", route: "/c"}})
	a := load(t, app, Config{})
	if n := len(a.compiler.modules); n != 1 {
		t.Fatalf("%d modules compiled for one wasm", n)
	}
	expect(t, do(t, a.Handler(), "GET", "/b/x", ""), 200, "hello from spinoci\n")
	expect(t, do(t, a.Handler(), "GET", "/c", ""), 200, "hello from spinoci\n")
}
