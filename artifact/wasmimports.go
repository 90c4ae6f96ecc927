package artifact

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// Import sections: of a core module, and of a component (its top level:
// what the host must provide; nested components' imports are satisfied
// inside it).
const (
	wasmSectionImport          = 2
	wasmSectionComponentImport = 10
	maxImportSection           = 16 << 20
)

// WasmImports is what a wasm binary imports.
type WasmImports struct {
	// Component reports a component (else a core module).
	Component bool
	// Names are, for a core module, its import modules (such as
	// "wasi_snapshot_preview1" or "key-value"); for a component, its
	// imports (such as "fermyon:spin/key-value@2.0.0"). Each once, in the
	// binary's order.
	Names []string
}

// ReadWasmImports reads the imports of the wasm binary r (size bytes; 0
// when unknown). It streams the binary, holding only the import section,
// and stops after it.
func ReadWasmImports(r io.Reader, size int64) (*WasmImports, error) {
	br, component, err := readWasmHeader(r, size)
	if err != nil {
		return nil, err
	}
	imports := &WasmImports{Component: component}
	want := byte(wasmSectionImport)
	if component {
		want = wasmSectionComponentImport
	}
	parse := parseCoreImports
	if imports.Component {
		parse = parseComponentImports
	}
	err = walkWasmSections(br, size, func(id byte) bool { return id == want }, maxImportSection,
		func(_ byte, sec []byte) (bool, error) {
			names, err := parse(&wasmReader{b: sec})
			if err != nil {
				return true, fmt.Errorf("import section: %w", err)
			}
			for _, n := range names {
				if !slices.Contains(imports.Names, n) {
					imports.Names = append(imports.Names, n)
				}
			}
			// A component may have several import sections.
			return !imports.Component, nil
		})
	if err != nil {
		return nil, err
	}
	return imports, nil
}

// parseCoreImports decodes vec(import), import = module name importdesc,
// returning the modules.
func parseCoreImports(r *wasmReader) ([]string, error) {
	count := r.u32()
	var names []string
	for i := uint32(0); i < count && r.err == nil; i++ {
		module := r.name()
		r.name()
		switch kind := r.byte(); kind {
		case 0x00: // func: typeidx
			r.u32()
		case 0x01: // table: reftype limits
			r.byte()
			r.limits()
		case 0x02: // memory: limits
			r.limits()
		case 0x03: // global: valtype mut
			r.byte()
			r.byte()
		case 0x04: // tag: attribute typeidx
			r.byte()
			r.u32()
		default:
			r.fail(fmt.Errorf("import %d: unknown kind 0x%02x", i, kind))
		}
		names = append(names, module)
	}
	return names, r.err
}

// parseComponentImports decodes a component's vec(import), import =
// importname' externdesc, returning the names.
func parseComponentImports(r *wasmReader) ([]string, error) {
	count := r.u32()
	var names []string
	for i := uint32(0); i < count && r.err == nil; i++ {
		// 0x00: a plain name, 0x01: an interface name; a string either way.
		if form := r.byte(); form > 0x01 {
			r.fail(fmt.Errorf("import %d: unknown name form 0x%02x", i, form))
		}
		name := r.name()
		switch sort := r.byte(); sort {
		case 0x00: // core module: 0x11 typeidx
			r.byte()
			r.u32()
		case 0x01, 0x04, 0x05: // func, component, instance: typeidx
			r.u32()
		case 0x02, 0x03: // value or type bound: 0x00 idx | 0x01 valtype (value) / nothing (type)
			if b := r.byte(); b == 0x00 || sort == 0x02 {
				r.u32()
			}
		default:
			r.fail(fmt.Errorf("import %q: unknown sort 0x%02x", name, sort))
		}
		names = append(names, name)
	}
	return names, r.err
}

// wasmReader decodes a section's bytes; the first error sticks.
type wasmReader struct {
	b   []byte
	err error
}

func (r *wasmReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *wasmReader) byte() byte {
	if len(r.b) == 0 {
		r.fail(io.ErrUnexpectedEOF)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *wasmReader) u32() uint32 {
	v, n, err := readULEB32(r.b)
	if err != nil {
		r.fail(err)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// u64 skips an unsigned LEB128 number of up to 64 bits (memory64 limits).
func (r *wasmReader) u64() {
	for i := 0; i < 10; i++ {
		if r.byte()&0x80 == 0 {
			return
		}
	}
	r.fail(errors.New("LEB128 value too long"))
}

func (r *wasmReader) name() string {
	n := r.u32()
	if r.err != nil || int64(n) > int64(len(r.b)) {
		r.fail(io.ErrUnexpectedEOF)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// limits skips a limits: flags (bit 0: a maximum follows), minimum,
// maximum.
func (r *wasmReader) limits() {
	flags := r.byte()
	r.u64()
	if flags&0x01 != 0 {
		r.u64()
	}
}
