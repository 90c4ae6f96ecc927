package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"

	"github.com/spinoci/spinoci/artifact/appdir"
)

// wasmSource is a component's wasm, read no more than a start needs: its
// 8-byte header (module or component) always, its bytes only when they are
// compiled. A start whose compiled code is cached so reads 8 bytes of a
// 12 MB component instead of all of it, and hashes nothing: the sha256
// that names the compiled code comes from the application directory, which
// checked the bytes against it when it was built (appdir's WasmDigest);
// only without one are the bytes read and hashed.
type wasmSource struct {
	path   string
	header []byte
	digest digest.Digest // recorded by the application directory, or ""
	size   int64         // of the file
	bytes  []byte        // read on first use
	sum    *[sha256.Size]byte
}

// openWasm reads the header of component ac's wasm.
func openWasm(ac appdir.Component) (*wasmSource, error) {
	f, err := os.Open(ac.WasmPath)
	if err != nil {
		return nil, fmt.Errorf("read wasm: %w", err)
	}
	defer f.Close()
	header := make([]byte, 8)
	n, err := io.ReadFull(f, header)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read wasm: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read wasm: %w", err)
	}
	return &wasmSource{path: ac.WasmPath, header: header[:n], digest: ac.WasmDigest, size: fi.Size()}, nil
}

// isComponent reports whether the wasm is a component (by its header).
func (w *wasmSource) isComponent() bool { return isComponent(w.header) }

// Bytes reads the wasm once. Bytes that do not match the recorded digest
// are an error: the compiled code named by the digest must be theirs.
func (w *wasmSource) Bytes() ([]byte, error) {
	if w.bytes != nil {
		return w.bytes, nil
	}
	b, err := os.ReadFile(w.path)
	if err != nil {
		return nil, fmt.Errorf("read wasm: %w", err)
	}
	if err := w.check(b); err != nil {
		return nil, err
	}
	w.bytes = b
	return b, nil
}

// Map is Bytes for a compile stage: the bytes are the file's pages in the
// page cache, mapped read-only, not a copy in fresh memory (every page of
// which a new process would fault in: ~3,000 faults for a 12 MB component),
// and they stay valid until release is called, however the file's name
// changes meanwhile. They are checked as Bytes checks them.
func (w *wasmSource) Map() (wasm []byte, release func(), err error) {
	if w.bytes != nil {
		return w.bytes, func() {}, nil
	}
	f, err := os.Open(w.path)
	if err != nil {
		return nil, nil, fmt.Errorf("read wasm: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("read wasm: %w", err)
	}
	if info.Size() == 0 {
		// Nothing to map (the compile says what is wrong with it).
		b, err := w.Bytes()
		return b, func() {}, err
	}
	// MAP_POPULATE maps every page at once: the hash reads them all.
	b, err := unix.Mmap(int(f.Fd()), 0, int(info.Size()), unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_POPULATE)
	if err != nil {
		return nil, nil, fmt.Errorf("map wasm %s: %w", w.path, err)
	}
	release = sync.OnceFunc(func() { _ = unix.Munmap(b) })
	if err := w.check(b); err != nil {
		release()
		return nil, nil, err
	}
	return b, release, nil
}

// check hashes b, the wasm's bytes, into w.sum; bytes that do not match the
// recorded digest are an error.
func (w *wasmSource) check(b []byte) error {
	sum := sha256.Sum256(b)
	if w.digest != "" && hex.EncodeToString(sum[:]) != w.digest.Encoded() {
		return fmt.Errorf("wasm %s does not match its digest %s: the application directory was changed after it was built", w.path, w.digest)
	}
	w.sum = &sum
	return nil
}

// Sum is the wasm's sha256: the recorded digest's, else that of its bytes.
func (w *wasmSource) Sum() ([sha256.Size]byte, error) {
	if w.sum == nil && w.digest != "" {
		var sum [sha256.Size]byte
		if raw, err := hex.DecodeString(w.digest.Encoded()); err == nil && len(raw) == len(sum) {
			copy(sum[:], raw)
			w.sum = &sum
		}
	}
	if w.sum == nil {
		if _, err := w.Bytes(); err != nil {
			return [sha256.Size]byte{}, err
		}
	}
	return *w.sum, nil
}
