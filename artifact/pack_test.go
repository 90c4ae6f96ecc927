package artifact

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content/memory"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

var created = time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)

// fixture is a local app on disk: components "web" and "api" share one
// wasm and one static directory; "web" also mounts a single file.
type fixture struct {
	app                          *lock.LockedApp
	wasm, big, nested, small, hi []byte
	dir                          string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	f := fixture{
		dir:    dir,
		wasm:   wasmModule("handle-http-request", "canonical_abi_realloc", "canonical_abi_free", strings.Repeat("x", 200)),
		big:    bytes.Repeat([]byte("big "), 50),    // 200 bytes: a data layer
		nested: bytes.Repeat([]byte("nested "), 30), // 210 bytes: a data layer
		small:  []byte("hi"),                        // inlined
		hi:     []byte("single file\n"),             // inlined
	}
	wasmPath := filepath.Join(dir, "app.wasm")
	writeFile(t, wasmPath, f.wasm)
	static := filepath.Join(dir, "static")
	writeFile(t, filepath.Join(static, "big.txt"), f.big)
	writeFile(t, filepath.Join(static, "sub", "dir", "nested.bin"), f.nested)
	writeFile(t, filepath.Join(static, "small.txt"), f.small)
	writeFile(t, filepath.Join(static, "empty"), nil)
	writeFile(t, filepath.Join(dir, "hi.txt"), f.hi)
	f.app = httpApp(t, map[string]any{
		"name":        "hello",
		"version":     "0.1.0",
		"description": "a test app",
		"authors":     []string{"Ann <ann@example.com>", "Bob"},
		"origin":      "file:///somewhere/spin.toml",
		"trigger":     map[string]any{"type": "http", "base": "/"},
	},
		localComponent("web", wasmPath, appdir.Mount{HostPath: static, GuestPath: "/"}, appdir.Mount{HostPath: filepath.Join(dir, "hi.txt"), GuestPath: "/docs/hi.txt"}),
		localComponent("api", wasmPath, appdir.Mount{HostPath: static, GuestPath: "/assets"}),
	)
	return f
}

func layerTypes(m ocispec.Manifest) []string {
	var out []string
	for _, l := range m.Layers {
		out = append(out, l.MediaType)
	}
	return out
}

func TestPackFormatB(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	store := newMemStore()
	desc, err := Pack(ctx, f.app, store, PackOptions{Created: created, Annotations: map[string]string{"org.opencontainers.image.version": "9.9.9", "x": "y"}})
	if err != nil {
		t.Fatal(err)
	}
	if desc.MediaType != MediaTypeImageManifest || desc.Digest != digest.FromBytes(store.get(t, desc.Digest)) {
		t.Fatalf("manifest descriptor %+v", desc)
	}
	m := store.manifest(t, desc)

	// Layers: one wasm (shared), one data layer per distinct large file,
	// the lock last.
	wantLayers := []ocispec.Descriptor{
		{MediaType: MediaTypeWasmLayer, Digest: digest.FromBytes(f.wasm), Size: int64(len(f.wasm))},
		{MediaType: MediaTypeDataLayer, Digest: digest.FromBytes(f.big), Size: int64(len(f.big))},
		{MediaType: MediaTypeDataLayer, Digest: digest.FromBytes(f.nested), Size: int64(len(f.nested))},
	}
	if len(m.Layers) != len(wantLayers)+1 {
		t.Fatalf("layers %v", layerTypes(m))
	}
	for i, want := range wantLayers {
		if got := m.Layers[i]; got.MediaType != want.MediaType || got.Digest != want.Digest || got.Size != want.Size {
			t.Errorf("layer %d = %+v, want %+v", i, got, want)
		}
	}
	lockDesc := m.Layers[len(m.Layers)-1]
	if lockDesc.MediaType != MediaTypeSpinApplication {
		t.Fatalf("last layer %q", lockDesc.MediaType)
	}
	for d, n := range store.pushes {
		if n != 1 {
			t.Errorf("blob %s pushed %d times", d, n)
		}
	}

	// Config: Spin 2.4+ bytes exactly.
	wantConfig := `{"architecture":"wasm","os":"wasip1","config":{"Labels":{"com.fermyon.spin.lockedAppDigest":"` +
		lockDesc.Digest.String() + `"}},"rootfs":{"type":"layers","diff_ids":[]}}`
	if m.Config.MediaType != MediaTypeImageConfig {
		t.Errorf("config media type %q", m.Config.MediaType)
	}
	if got := string(store.get(t, m.Config.Digest)); got != wantConfig {
		t.Errorf("config\n got %s\nwant %s", got, wantConfig)
	}
	if len(wantConfig) != 209 {
		t.Errorf("config is %d bytes, Spin's is 209", len(wantConfig))
	}

	wantAnn := map[string]string{
		"org.opencontainers.image.title":       "hello",
		"org.opencontainers.image.version":     "9.9.9",
		"org.opencontainers.image.description": "a test app",
		"org.opencontainers.image.authors":     "Ann <ann@example.com>, Bob",
		"org.opencontainers.image.created":     "2025-01-02T03:04:05.123456789Z",
		"x":                                    "y",
	}
	if fmt.Sprint(m.Annotations) != fmt.Sprint(wantAnn) {
		t.Errorf("annotations %v, want %v", m.Annotations, wantAnn)
	}

	// The pushed lock: no origin, content by digest, small files inline,
	// relative paths.
	lockBytes := store.get(t, lockDesc.Digest)
	if bytes.Contains(lockBytes, []byte("origin")) || bytes.Contains(lockBytes, []byte("file://")) {
		t.Errorf("pushed lock keeps local references: %s", lockBytes)
	}
	if bytes.Contains(lockBytes, []byte("\n")) {
		t.Errorf("pushed lock is not compact")
	}
	pushed, err := lock.Parse(lockBytes)
	if err != nil {
		t.Fatal(err)
	}
	web := pushed.Components[0]
	if web.Source.Digest != digest.FromBytes(f.wasm).String() || web.Source.Inline != nil || web.Source.Source != "" || web.Source.ContentType != "application/wasm" {
		t.Errorf("web source %+v", web.Source)
	}
	type entry struct{ path, digest, inline string }
	var got []entry
	for _, fp := range web.Files {
		e := entry{fp.Path, fp.Digest, "<nil>"}
		if fp.Inline != nil {
			e.inline = *fp.Inline
		}
		got = append(got, e)
	}
	want := []entry{
		{"big.txt", digest.FromBytes(f.big).String(), "<nil>"},
		{"empty", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ""},
		{"small.txt", "sha256:8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4", "aGk"},
		{"sub/dir/nested.bin", digest.FromBytes(f.nested).String(), "<nil>"},
		{"docs/hi.txt", digest.FromBytes(f.hi).String(), lock.EncodeInline(f.hi)},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("web files\n got %v\nwant %v", got, want)
	}
	if p := pushed.Components[1].Files[0].Path; p != "assets/big.txt" {
		t.Errorf("api first file path %q", p)
	}

	// Round trip.
	a, err := Load(ctx, store, desc)
	if err != nil {
		t.Fatal(err)
	}
	if a.Layout != LayoutB || a.LockDesc.Digest != lockDesc.Digest || len(a.Content.Archives) != 0 {
		t.Errorf("loaded %s, lock %s, archives %v", a.Layout, a.LockDesc.Digest, a.Content.Archives)
	}
	if _, ok := a.App.Metadata["origin"]; ok {
		t.Error("loaded lock has origin")
	}
	dir := materialize(t, a)
	local, err := appdir.ReadLock(filepath.Join(dir, "spin.lock"))
	if err != nil {
		t.Fatal(err)
	}
	wasmPath, err := appdir.WasmPath(&local.Components[0])
	if err != nil {
		t.Fatal(err)
	}
	assertFile(t, wasmPath, f.wasm)
	web0 := filepath.Join(dir, "files", "web")
	assertFile(t, filepath.Join(web0, "big.txt"), f.big)
	assertFile(t, filepath.Join(web0, "small.txt"), f.small)
	assertFile(t, filepath.Join(web0, "empty"), nil)
	assertFile(t, filepath.Join(web0, "sub", "dir", "nested.bin"), f.nested)
	assertFile(t, filepath.Join(web0, "docs", "hi.txt"), f.hi)
	assertFile(t, filepath.Join(dir, "files", "api", "assets", "sub", "dir", "nested.bin"), f.nested)

	// Pack of the materialised local lock gives the same content (files
	// may come in another order: one directory is walked now).
	store2 := newMemStore()
	desc2, err := Pack(ctx, local, store2, PackOptions{Created: created})
	if err != nil {
		t.Fatal(err)
	}
	m2 := store2.manifest(t, desc2)
	repushed, err := lock.Parse(store2.get(t, m2.Layers[len(m2.Layers)-1].Digest))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := sortedFiles(pushed), sortedFiles(repushed); a != b {
		t.Errorf("repacking the materialised lock changed it:\n%s\n%s", a, b)
	}
}

// sortedFiles renders each component's source and files, sorted by path.
func sortedFiles(app *lock.LockedApp) string {
	var out []string
	for _, c := range app.Components {
		files := make([]string, 0, len(c.Files))
		for _, f := range c.Files {
			inline := "<nil>"
			if f.Inline != nil {
				inline = *f.Inline
			}
			files = append(files, f.Path+"="+f.Digest+"/"+inline)
		}
		slices.Sort(files)
		out = append(out, c.ID+":"+c.Source.Digest+fmt.Sprint(files))
	}
	return strings.Join(out, "\n")
}

func TestPackFormatA(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	store := newMemStore()
	desc, err := Pack(ctx, f.app, store, PackOptions{Format: LayoutA, Created: created})
	if err != nil {
		t.Fatal(err)
	}
	m := store.manifest(t, desc)
	if m.Config.MediaType != MediaTypeSpinApplication {
		t.Errorf("config media type %q", m.Config.MediaType)
	}
	want := []string{MediaTypeWasmLayer, MediaTypeDataLayer, MediaTypeDataLayer}
	if fmt.Sprint(layerTypes(m)) != fmt.Sprint(want) {
		t.Errorf("layers %v, want %v", layerTypes(m), want)
	}
	if _, err := lock.Parse(store.get(t, m.Config.Digest)); err != nil {
		t.Errorf("config is not a lock: %v", err)
	}
	a, err := Load(ctx, store, desc)
	if err != nil {
		t.Fatal(err)
	}
	if a.Layout != LayoutA || a.LockDesc.Digest != m.Config.Digest {
		t.Errorf("layout %s, lock %s", a.Layout, a.LockDesc.Digest)
	}
	dir := materialize(t, a)
	assertFile(t, filepath.Join(dir, "files", "web", "sub", "dir", "nested.bin"), f.nested)
}

func TestPackArchiveLayers(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	store := newMemStore()
	desc, err := Pack(ctx, f.app, store, PackOptions{ArchiveLayers: true, Created: created})
	if err != nil {
		t.Fatal(err)
	}
	m := store.manifest(t, desc)
	// web and api have different trees (paths differ), so two archives.
	want := []string{MediaTypeWasmLayer, MediaTypeArchiveLayer, MediaTypeArchiveLayer, MediaTypeSpinApplication}
	if fmt.Sprint(layerTypes(m)) != fmt.Sprint(want) {
		t.Fatalf("layers %v, want %v", layerTypes(m), want)
	}
	a, err := Load(ctx, store, desc)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a.Content.Archives) != fmt.Sprint([]digest.Digest{m.Layers[1].Digest, m.Layers[2].Digest}) {
		t.Errorf("archives %v", a.Content.Archives)
	}
	// The lock still lists every file, by digest (and inline).
	if n := len(a.App.Components[0].Files); n != 5 {
		t.Errorf("web has %d files in the lock, want 5", n)
	}
	dir := materialize(t, a)
	assertFile(t, filepath.Join(dir, "files", "web", "big.txt"), f.big)
	assertFile(t, filepath.Join(dir, "files", "api", "assets", "sub", "dir", "nested.bin"), f.nested)

	// Archives are reproducible.
	store2 := newMemStore()
	desc2, err := Pack(ctx, f.app, store2, PackOptions{ArchiveLayers: true, Created: created})
	if err != nil {
		t.Fatal(err)
	}
	if desc2.Digest != desc.Digest {
		t.Error("packing twice gave different manifests")
	}
}

func TestPackSwitchesToArchivesAbove499Layers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	wasmPath := filepath.Join(dir, "app.wasm")
	writeFile(t, wasmPath, wasmModule("handle-http-request"))
	static := filepath.Join(dir, "static")
	// 1 wasm + 498 files = 499 layers: still per file.
	for i := range 498 {
		writeFile(t, filepath.Join(static, fmt.Sprintf("f%03d", i)), bytes.Repeat([]byte{byte(i), byte(i >> 8)}, 100))
	}
	app := httpApp(t, nil, localComponent("web", wasmPath, appdir.Mount{HostPath: static, GuestPath: "/"}))
	store := newMemStore()
	desc, err := Pack(ctx, app, store, PackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := store.manifest(t, desc); len(m.Layers) != 500 || m.Layers[1].MediaType != MediaTypeDataLayer {
		t.Fatalf("499 content layers: got %d layers, second %q", len(m.Layers), m.Layers[1].MediaType)
	}
	// One more file: archive mode.
	writeFile(t, filepath.Join(static, "f498"), bytes.Repeat([]byte("z"), 200))
	desc, err = Pack(ctx, app, store, PackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := store.manifest(t, desc)
	want := []string{MediaTypeWasmLayer, MediaTypeArchiveLayer, MediaTypeSpinApplication}
	if fmt.Sprint(layerTypes(m)) != fmt.Sprint(want) {
		t.Fatalf("layers %v, want %v", layerTypes(m), want)
	}
	a, err := Load(ctx, store, desc)
	if err != nil {
		t.Fatal(err)
	}
	out := materialize(t, a)
	assertFile(t, filepath.Join(out, "files", "web", "f498"), bytes.Repeat([]byte("z"), 200))
}

func TestPackInlineWasmAndIdenticalFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	tiny := wasmModule("handle-http-request")
	if len(tiny) > InlineMaxSize {
		t.Fatalf("test module is %d bytes", len(tiny))
	}
	writeFile(t, filepath.Join(dir, "a.wasm"), tiny)
	writeFile(t, filepath.Join(dir, "b.wasm"), tiny) // same bytes, other path
	same := bytes.Repeat([]byte("same"), 100)
	writeFile(t, filepath.Join(dir, "one", "x"), same)
	writeFile(t, filepath.Join(dir, "two", "y"), same)
	app := httpApp(t, nil,
		localComponent("a", filepath.Join(dir, "a.wasm"), appdir.Mount{HostPath: filepath.Join(dir, "one"), GuestPath: "/"}),
		localComponent("b", filepath.Join(dir, "b.wasm"), appdir.Mount{HostPath: filepath.Join(dir, "two"), GuestPath: "/"}),
	)
	store := newMemStore()
	desc, err := Pack(ctx, app, store, PackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := store.manifest(t, desc)
	want := []string{MediaTypeWasmLayer, MediaTypeDataLayer, MediaTypeSpinApplication}
	if fmt.Sprint(layerTypes(m)) != fmt.Sprint(want) {
		t.Fatalf("layers %v, want %v", layerTypes(m), want)
	}
	a, err := Load(ctx, store, desc)
	if err != nil {
		t.Fatal(err)
	}
	src := a.App.Components[1].Source
	if src.Inline == nil || *src.Inline != lock.EncodeInline(tiny) || src.Digest != digest.FromBytes(tiny).String() {
		t.Errorf("tiny wasm source %+v", src)
	}
	if _, ok := m.Annotations[ocispec.AnnotationTitle]; ok {
		t.Error("title annotation without an app name")
	}
	if _, err := time.Parse(time.RFC3339Nano, m.Annotations[ocispec.AnnotationCreated]); err != nil {
		t.Errorf("created annotation: %v", err)
	}
	out := materialize(t, a)
	assertFile(t, filepath.Join(out, "files", "b", "y"), same)
}

// TestPackToOrasMemory checks Pack against a real oras target (which needs
// the manifest mediaType and refuses duplicate pushes).
func TestPackToOrasMemory(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	dst := memory.New()
	desc, err := Pack(ctx, f.app, dst, PackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Pack(ctx, f.app, dst, PackOptions{Created: created}); err != nil {
		t.Fatalf("second push into the same store: %v", err)
	}
	// Copy into a containerd-style provider and load.
	store := newMemStore()
	//lint:ignore S1021 the closure calls itself
	var walk func(d ocispec.Descriptor)
	walk = func(d ocispec.Descriptor) {
		rc, err := dst.Fetch(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if err := store.Push(ctx, d, rc); err != nil {
			t.Fatal(err)
		}
	}
	walk(desc)
	m := store.manifest(t, desc)
	walk(m.Config)
	for _, l := range m.Layers {
		walk(l)
	}
	a, err := Load(ctx, store, desc)
	if err != nil {
		t.Fatal(err)
	}
	materialize(t, a)
}

func TestPackErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.wasm"), wasmModule("_start"))
	cases := map[string]struct {
		app  *lock.LockedApp
		opts PackOptions
		want string
	}{
		"missing wasm": {
			app:  httpApp(t, nil, localComponent("a", filepath.Join(dir, "nope.wasm"))),
			want: `component "a": wasm`,
		},
		"missing files dir": {
			app:  httpApp(t, nil, localComponent("a", filepath.Join(dir, "a.wasm"), appdir.Mount{HostPath: filepath.Join(dir, "nope"), GuestPath: "/"})),
			want: `component "a": files`,
		},
		"file mounted at root": {
			app:  httpApp(t, nil, localComponent("a", filepath.Join(dir, "a.wasm"), appdir.Mount{HostPath: filepath.Join(dir, "a.wasm"), GuestPath: "/"})),
			want: "empty path",
		},
		"pushed lock": {
			app: &lock.LockedApp{Components: []lock.Component{{ID: "a", Source: lock.ComponentSource{
				ContentType: "application/wasm", ContentRef: lock.ContentRef{Digest: digest.FromString("x").String()}}}}},
			want: "not materialised",
		},
		"wasm package format": {
			app:  httpApp(t, nil, localComponent("a", filepath.Join(dir, "a.wasm"))),
			opts: PackOptions{Format: LayoutWasmPackage},
			want: "unsupported format",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Pack(ctx, tc.app, newMemStore(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestImageConfigJSONIsSpins(t *testing.T) {
	// Spin 2.4+ config for a known lock digest, as spin registry push writes it.
	d := digest.Digest("sha256:" + strings.Repeat("ab", 32))
	b, err := imageConfigJSON(d)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(b) != 209 || !bytes.HasPrefix(b, []byte(`{"architecture":"wasm","os":"wasip1","config":{"Labels":{`)) {
		t.Errorf("config %s (%d bytes)", b, len(b))
	}
}
