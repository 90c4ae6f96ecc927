package artifact

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// A minimal WebAssembly binary reader: enough to tell a core module from a
// component and to list a core module's exports. It reads the binary as a
// stream, keeping only section headers and the export section, and stops
// after the export section, so large modules are neither held in memory nor
// (when the exports come early, as they do) read whole.

// Header bytes of a wasm binary: the magic, then the version/layer word of
// a core module or of a component.
const (
	wasmMagic            = "\x00asm"
	wasmVersionCore      = "\x01\x00\x00\x00"
	wasmVersionComponent = "\x0d\x00\x01\x00"
)

const (
	wasmSectionExport = 7
	wasmExternFunc    = 0
	maxExportSection  = 16 << 20
)

// wasmExport is one entry of a core module's export section.
type wasmExport struct {
	name string
	kind byte // 0 func, 1 table, 2 memory, 3 global, 4 tag
}

// wasmInfo is what inspectWasm learns of a binary.
type wasmInfo struct {
	component bool
	exports   []wasmExport
}

func (w *wasmInfo) exportsFunc(name string) bool {
	for _, e := range w.exports {
		if e.kind == wasmExternFunc && e.name == name {
			return true
		}
	}
	return false
}

func (w *wasmInfo) exportNames() []string {
	names := make([]string, 0, len(w.exports))
	for _, e := range w.exports {
		names = append(names, e.name)
	}
	return names
}

// inspectWasm reads the header of the wasm binary r (size bytes; 0 when
// unknown) and, for a core module, its exports.
func inspectWasm(r io.Reader, size int64) (*wasmInfo, error) {
	br, component, err := readWasmHeader(r, size)
	if err != nil {
		return nil, err
	}
	if component {
		return &wasmInfo{component: true}, nil
	}
	info := &wasmInfo{}
	err = walkWasmSections(br, size, func(id byte) bool { return id == wasmSectionExport }, maxExportSection,
		func(_ byte, sec []byte) (bool, error) {
			exports, err := parseExportSection(sec)
			if err != nil {
				return true, fmt.Errorf("export section: %w", err)
			}
			info.exports = exports
			return true, nil
		})
	if err != nil {
		return nil, err
	}
	return info, nil
}

// readWasmHeader reads the header of the wasm binary r (size bytes; 0 when
// unknown), returning a reader of what follows and whether it is a
// component (else a core module).
func readWasmHeader(r io.Reader, size int64) (*bufio.Reader, bool, error) {
	if size > 0 {
		r = io.LimitReader(r, size)
	}
	br := bufio.NewReader(r)
	var hdr [8]byte
	if n, _ := io.ReadFull(br, hdr[:]); n < len(hdr) || string(hdr[:4]) != wasmMagic {
		return nil, false, errors.New("not a WebAssembly binary (bad magic)")
	}
	switch string(hdr[4:]) {
	case wasmVersionComponent:
		return br, true, nil
	case wasmVersionCore:
		return br, false, nil
	}
	return nil, false, fmt.Errorf("unsupported WebAssembly version/layer % x", hdr[4:])
}

// walkWasmSections reads the sections that follow the 8-byte header of a
// binary of size bytes (0: unknown) from br: the body of each section
// whose id want accepts (at most limit bytes) goes to visit, which returns
// true to stop; the others are skipped unread.
func walkWasmSections(br *bufio.Reader, size int64, want func(id byte) bool, limit uint32, visit func(id byte, body []byte) (bool, error)) error {
	off := int64(8)
	for {
		// A section header is an id byte and a LEB128 u32 size (≤ 5 bytes).
		id, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read section header at offset %d: %w", off, err)
		}
		sh, _ := br.Peek(5) // fewer at the end of the binary
		secSize, m, err := readULEB32(sh)
		if err != nil {
			return fmt.Errorf("section header at offset %d: %w", off, err)
		}
		if _, err := br.Discard(m); err != nil {
			return fmt.Errorf("section header at offset %d: %w", off, err)
		}
		start := off + 1 + int64(m)
		if size > 0 && int64(secSize) > size-start {
			return fmt.Errorf("section %d at offset %d: size %d runs past the end of the binary", id, off, secSize)
		}
		if want(id) {
			if secSize > limit {
				return fmt.Errorf("section %d of %d bytes is too large", id, secSize)
			}
			sec := make([]byte, secSize)
			if _, err := io.ReadFull(br, sec); err != nil {
				return fmt.Errorf("read section %d: %w", id, err)
			}
			if stop, err := visit(id, sec); stop || err != nil {
				return err
			}
		} else if _, err := br.Discard(int(secSize)); err != nil {
			return fmt.Errorf("section %d at offset %d: %w", id, off, err)
		}
		off = start + int64(secSize)
	}
}

// parseExportSection decodes vec(export), export = name kind index.
func parseExportSection(b []byte) ([]wasmExport, error) {
	count, n, err := readULEB32(b)
	if err != nil {
		return nil, err
	}
	b = b[n:]
	if int64(count) > int64(len(b)) { // every export takes at least 3 bytes
		return nil, fmt.Errorf("export count %d exceeds the section size", count)
	}
	exports := make([]wasmExport, 0, count)
	for i := uint32(0); i < count; i++ {
		nameLen, n, err := readULEB32(b)
		if err != nil {
			return nil, fmt.Errorf("export %d: name length: %w", i, err)
		}
		b = b[n:]
		if int64(nameLen)+1 > int64(len(b)) {
			return nil, fmt.Errorf("export %d: truncated", i)
		}
		e := wasmExport{name: string(b[:nameLen]), kind: b[nameLen]}
		b = b[nameLen+1:]
		if _, n, err = readULEB32(b); err != nil {
			return nil, fmt.Errorf("export %q: index: %w", e.name, err)
		}
		b = b[n:]
		exports = append(exports, e)
	}
	return exports, nil
}

// readULEB32 decodes an unsigned LEB128 number of at most 32 bits from the
// start of b, returning it and the number of bytes used.
func readULEB32(b []byte) (uint32, int, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, io.ErrUnexpectedEOF
		}
		c := b[i]
		if i == 4 && c > 0x0f {
			return 0, 0, errors.New("LEB128 value overflows 32 bits")
		}
		v |= uint32(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("LEB128 value too long")
}
