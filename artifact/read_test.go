package artifact

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// countingReader is a BlobReader over a memStore that counts the bytes read
// from each blob, and can serve a blob as a longer stream than stored.
type countingReader struct {
	s *memStore

	mu     sync.Mutex
	read   map[digest.Digest]int64
	longer map[digest.Digest]int64 // extra zero bytes served after the blob
}

func newCountingReader(s *memStore) *countingReader {
	return &countingReader{s: s, read: map[digest.Digest]int64{}, longer: map[digest.Digest]int64{}}
}

func (c *countingReader) Open(ctx context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	rc, err := c.s.Open(ctx, desc)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	extra := c.longer[desc.Digest]
	c.mu.Unlock()
	r := io.MultiReader(rc, io.LimitReader(zeros{}, extra))
	return countedStream{r: r, Closer: rc, add: func(n int) {
		c.mu.Lock()
		c.read[desc.Digest] += int64(n)
		c.mu.Unlock()
	}}, nil
}

func (c *countingReader) bytesRead(d digest.Digest) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.read[d]
}

type countedStream struct {
	r io.Reader
	io.Closer
	add func(int)
}

func (s countedStream) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.add(n)
	return n, err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A Wasm package's module is streamed only up to its export section: a large
// section after it is never read.
func TestLoadWasmPackageReadsOnlyTheHeaderOfItsLayer(t *testing.T) {
	ctx := context.Background()
	const trailer = 8 << 20
	wasm := append(wasmModule("handle-http-request"), wasmSection(0, append([]byte{4, 'p', 'a', 'd', '!'}, make([]byte, trailer)...))...)
	s := newMemStore()
	target := wasmPackage(t, s, "big.wasm", wasm)
	r := newCountingReader(s)
	a, err := Load(ctx, r, target)
	if err != nil {
		t.Fatal(err)
	}
	if a.Layout != LayoutWasmPackage {
		t.Fatalf("layout %s", a.Layout)
	}
	if n := r.bytesRead(digest.FromBytes(wasm)); n == 0 || n > 64<<10 {
		t.Errorf("read %d bytes of a %d-byte module to find its exports, want the header only", n, len(wasm))
	}
}

// A stream longer than its descriptor says is refused once the extra bytes
// arrive, without reading it to the end.
func TestLongerStreamsAreRefused(t *testing.T) {
	ctx := context.Background()
	wasm := wasmModule("handle-http-request")
	const extra = 64 << 20

	t.Run("manifest", func(t *testing.T) {
		s := newMemStore()
		target, _ := formatB(t, s, spin24Config, wasm)
		r := newCountingReader(s)
		r.longer[target.Digest] = extra
		_, err := Load(ctx, r, target)
		wantErrContains(t, err, "read manifest", "size differs from the")
		if n := r.bytesRead(target.Digest); n > target.Size+64<<10 {
			t.Errorf("read %d bytes of a %d-byte manifest", n, target.Size)
		}
	})
	t.Run("layer", func(t *testing.T) {
		s := newMemStore()
		target, _ := formatB(t, s, spin24Config, wasm)
		r := newCountingReader(s)
		a, err := Load(ctx, r, target)
		if err != nil {
			t.Fatal(err)
		}
		d := digest.FromBytes(wasm)
		r.longer[d] = extra
		rc, err := a.Content.Blobs.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		got, err := io.ReadAll(rc)
		if err == nil || !strings.Contains(err.Error(), "more than the") {
			t.Errorf("reading a longer layer: %v", err)
		}
		if n := r.bytesRead(d); n > int64(len(wasm))+64<<10 {
			t.Errorf("read %d bytes of a %d-byte layer", n, len(wasm))
		}
		if !bytes.HasPrefix(got, wasm) {
			t.Error("the layer's own bytes were not returned first")
		}
	})
}
