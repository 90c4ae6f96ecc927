package artifact

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// memStore is an in-memory content store: a BlobReader for Load and an
// oras content.Pusher for Pack.
type memStore struct {
	mu    sync.Mutex
	blobs map[digest.Digest][]byte
	// pushes counts Push calls per digest.
	pushes map[digest.Digest]int
}

func newMemStore() *memStore {
	return &memStore{blobs: make(map[digest.Digest][]byte), pushes: make(map[digest.Digest]int)}
}

func (s *memStore) Open(_ context.Context, desc ocispec.Descriptor) (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[desc.Digest]
	if !ok {
		return nil, fmt.Errorf("content %s: %w", desc.Digest, errdefs.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (s *memStore) Push(_ context.Context, desc ocispec.Descriptor, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if int64(len(b)) != desc.Size || digest.FromBytes(b) != desc.Digest {
		return fmt.Errorf("push %s: content does not match the descriptor", desc.Digest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobs[desc.Digest] = b
	s.pushes[desc.Digest]++
	return nil
}

// put stores data and returns its descriptor.
func (s *memStore) put(mediaType string, data []byte) ocispec.Descriptor {
	d := digest.FromBytes(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobs[d] = data
	return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data))}
}

func (s *memStore) get(t *testing.T, d digest.Digest) []byte {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[d]
	if !ok {
		t.Fatalf("blob %s not in store", d)
	}
	return b
}

// replace overwrites the bytes stored under d (to simulate corruption).
func (s *memStore) replace(d digest.Digest, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobs[d] = data
}

func (s *memStore) putJSON(t *testing.T, mediaType string, v any) ocispec.Descriptor {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return s.put(mediaType, b)
}

// putManifest stores a Spin-style manifest (no mediaType field).
func (s *memStore) putManifest(t *testing.T, config ocispec.Descriptor, layers ...ocispec.Descriptor) ocispec.Descriptor {
	t.Helper()
	if layers == nil {
		layers = []ocispec.Descriptor{}
	}
	return s.putJSON(t, MediaTypeImageManifest, ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		Config:    config,
		Layers:    layers,
	})
}

func (s *memStore) manifest(t *testing.T, desc ocispec.Descriptor) ocispec.Manifest {
	t.Helper()
	var m ocispec.Manifest
	if err := json.Unmarshal(s.get(t, desc.Digest), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// uleb encodes v as unsigned LEB128.
func uleb(v uint32) []byte {
	var out []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			out = append(out, c|0x80)
			continue
		}
		return append(out, c)
	}
}

func wasmSection(id byte, payload []byte) []byte {
	return append(append([]byte{id}, uleb(uint32(len(payload)))...), payload...)
}

// wasmModule builds a valid core module whose functions (type () -> ())
// are exported under the given names. A custom section comes first so the
// parser has something to skip.
func wasmModule(exports ...string) []byte {
	n := uint32(len(exports))
	b := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	b = append(b, wasmSection(0, append([]byte{4}, "note"...))...)
	b = append(b, wasmSection(1, []byte{1, 0x60, 0, 0})...)
	funcs := uleb(n)
	for range exports {
		funcs = append(funcs, 0)
	}
	b = append(b, wasmSection(3, funcs)...)
	exp := uleb(n)
	for i, name := range exports {
		exp = append(exp, uleb(uint32(len(name)))...)
		exp = append(exp, name...)
		exp = append(exp, 0)
		exp = append(exp, uleb(uint32(i))...)
	}
	b = append(b, wasmSection(7, exp)...)
	code := uleb(n)
	for range exports {
		code = append(code, 2, 0, 0x0b)
	}
	return append(b, wasmSection(10, code)...)
}

// wasmComponent is the 8-byte header of a component followed by nothing.
func wasmComponent() []byte {
	return []byte{0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func rawJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// httpApp builds a local lock: one HTTP trigger per component on route
// "/<id>/...".
func httpApp(t *testing.T, metadata map[string]any, comps ...lock.Component) *lock.LockedApp {
	t.Helper()
	app := &lock.LockedApp{Metadata: map[string]json.RawMessage{}}
	for k, v := range metadata {
		app.Metadata[k] = rawJSON(t, v)
	}
	for _, c := range comps {
		app.Triggers = append(app.Triggers, lock.Trigger{
			ID:            c.ID + "-http-trigger",
			TriggerType:   "http",
			TriggerConfig: rawJSON(t, map[string]any{"component": c.ID, "route": "/" + c.ID + "/...", "executor": nil}),
		})
		app.Components = append(app.Components, c)
	}
	return app
}

func localComponent(id, wasmPath string, mounts ...appdir.Mount) lock.Component {
	c := lock.Component{
		ID:     id,
		Source: lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Source: appdir.FileURI(wasmPath)}},
	}
	for _, m := range mounts {
		c.Files = append(c.Files, lock.ContentPath{ContentRef: lock.ContentRef{Source: appdir.FileURI(m.HostPath)}, Path: m.GuestPath})
	}
	return c
}

// materialize runs appdir.Materialize on a loaded artifact and returns the
// output directory.
func materialize(t *testing.T, a *Artifact) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "app")
	if _, err := appdir.Materialize(context.Background(), a.App, a.Content, dir); err != nil {
		t.Fatalf("Materialize: %v", err)
	}
	return dir
}

func assertFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got %q, want %q", path, got, want)
	}
}
