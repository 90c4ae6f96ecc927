package artifact

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// wasmEnc builds wasm binaries by hand.
type wasmEnc struct{ bytes.Buffer }

func (e *wasmEnc) leb(n uint32) *wasmEnc {
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n != 0 {
			c |= 0x80
		}
		e.WriteByte(c)
		if n == 0 {
			return e
		}
	}
}

func (e *wasmEnc) str(s string) *wasmEnc  { e.leb(uint32(len(s))); e.WriteString(s); return e }
func (e *wasmEnc) raw(b ...byte) *wasmEnc { e.Write(b); return e }

func (e *wasmEnc) section(id byte, body *wasmEnc) *wasmEnc {
	e.WriteByte(id)
	e.leb(uint32(body.Len()))
	e.Write(body.Bytes())
	return e
}

func TestReadWasmImportsCoreModule(t *testing.T) {
	imports := new(wasmEnc).leb(6)
	imports.str("wasi_snapshot_preview1").str("fd_write").raw(0x00).leb(1)
	imports.str("key-value").str("open").raw(0x00).leb(2)
	imports.str("env").str("memory").raw(0x02, 0x01).leb(1).leb(10)
	imports.str("env").str("table").raw(0x01, 0x70, 0x00).leb(4)
	imports.str("sqlite").str("g").raw(0x03, 0x7f, 0x00)
	imports.str("key-value").str("get").raw(0x00).leb(3)
	bin := new(wasmEnc).raw([]byte(wasmMagic + wasmVersionCore)...)
	bin.section(1, new(wasmEnc).raw(0x00)) // a type section, skipped
	bin.section(wasmSectionImport, imports)
	got, err := ReadWasmImports(bytes.NewReader(bin.Bytes()), int64(bin.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if got.Component || !slices.Equal(got.Names, []string{"wasi_snapshot_preview1", "key-value", "env", "sqlite"}) {
		t.Errorf("imports %+v", got)
	}
}

func TestReadWasmImportsComponent(t *testing.T) {
	first := new(wasmEnc).leb(3)
	first.raw(0x00).str("fermyon:spin/key-value@2.0.0").raw(0x05).leb(0)
	first.raw(0x01).str("wasi:http/outgoing-handler@0.2.0").raw(0x05).leb(1)
	first.raw(0x00).str("res").raw(0x03, 0x01) // a resource type import
	second := new(wasmEnc).leb(2)
	second.raw(0x00).str("wasi:keyvalue/store@0.2.0-draft2").raw(0x05).leb(2)
	second.raw(0x00).str("fermyon:spin/key-value@2.0.0").raw(0x05).leb(0)
	bin := new(wasmEnc).raw([]byte(wasmMagic + wasmVersionComponent)...)
	bin.section(1, new(wasmEnc).raw(1, 2, 3)) // a core module, skipped
	bin.section(wasmSectionComponentImport, first)
	bin.section(7, new(wasmEnc).raw(0)) // a type section between imports
	bin.section(wasmSectionComponentImport, second)
	got, err := ReadWasmImports(bytes.NewReader(bin.Bytes()), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"fermyon:spin/key-value@2.0.0", "wasi:http/outgoing-handler@0.2.0", "res", "wasi:keyvalue/store@0.2.0-draft2"}
	if !got.Component || !slices.Equal(got.Names, want) {
		t.Errorf("imports %+v, want %q", got, want)
	}
}

func TestReadWasmImportsErrors(t *testing.T) {
	bad := new(wasmEnc).leb(1)
	bad.str("m").str("f").raw(0x09)
	bin := new(wasmEnc).raw([]byte(wasmMagic+wasmVersionCore)...).section(wasmSectionImport, bad)
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"not wasm":     {[]byte("hello, world"), "bad magic"},
		"unknown kind": {bin.Bytes(), "import 0: unknown kind 0x09"},
		"truncated":    {bin.Bytes()[:bin.Len()-3], "section 2"},
	} {
		if _, err := ReadWasmImports(bytes.NewReader(tc.data), 0); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

// The test apps, when built (make testapps): a Spin 1.x core module and
// a Spin 3 JS component.
func TestReadWasmImportsOfTestApps(t *testing.T) {
	for file, want := range map[string]string{"spin-host.wasm": "key-value", "js-spin.wasm": "fermyon:spin/key-value@2.0.0", "js-sdk2.wasm": "fermyon:spin/variables@2.0.0"} {
		data, err := os.ReadFile(filepath.Join("..", "build", "apps", file))
		if err != nil {
			t.Skipf("%v (make testapps builds it)", err)
		}
		got, err := ReadWasmImports(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if !slices.Contains(got.Names, want) {
			t.Errorf("%s imports %q, want %q among them", file, got.Names, want)
		}
	}
}
