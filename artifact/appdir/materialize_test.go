package appdir

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/lock"
)

// tarEntry is one entry of a test archive.
type tarEntry struct {
	name     string
	body     string
	typeflag byte // 0 means regular file
	linkname string
}

func makeTarGz(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: e.typeflag, Linkname: e.linkname}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if hdr.Typeflag == tar.TypeDir {
			hdr.Mode = 0o755
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func dg(s string) string { return digest.FromString(s).String() }

func inline(s string) *string {
	v := lock.EncodeInline([]byte(s))
	return &v
}

func wasmRef(d string) lock.ComponentSource {
	return lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Digest: d}}
}

func fileRef(path, d string) lock.ContentPath {
	return lock.ContentPath{ContentRef: lock.ContentRef{Digest: d}, Path: path}
}

// assertNothingLeft checks that a failed Materialize left no trace.
func assertNothingLeft(t *testing.T, parent, dir string) {
	t.Helper()
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s exists after a failure (err=%v)", dir, err)
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("leftover in parent: %s", e.Name())
	}
}

func readString(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMaterialize(t *testing.T) {
	t.Run("copies", func(t *testing.T) { testMaterialize(t, nil) })
	t.Run("links to a file store", func(t *testing.T) { testMaterialize(t, newTestStore(t)) })
}

func testMaterialize(t *testing.T, store *Store) {
	const (
		wasm     = "\x00asm\x01\x00\x00\x00 hello wasm"
		tinyWasm = "\x00asm\x01\x00\x00\x00"
		aTxt     = "file a, a plain data layer"
		arcTxt   = "only in the archive"
		arcTwice = "twice in the archive"
	)
	archive := makeTarGz(t,
		tarEntry{name: "./", typeflag: tar.TypeDir},
		tarEntry{name: "./deep/", typeflag: tar.TypeDir},
		tarEntry{name: "./deep/x.txt", body: arcTxt},
		// Names are never used: these must not write outside anything.
		tarEntry{name: "../escape.txt", body: arcTwice},
		tarEntry{name: "/abs.txt", body: arcTwice},
		tarEntry{name: "link", typeflag: tar.TypeSymlink, linkname: "/etc/passwd"},
		tarEntry{name: "hard", typeflag: tar.TypeLink, linkname: "./deep/x.txt"},
		tarEntry{name: "dev", typeflag: tar.TypeChar},
	)
	archiveDigest := digest.FromBytes(archive)
	blobs := MapBlobs{
		digest.FromString(wasm): []byte(wasm),
		digest.FromString(aTxt): []byte(aTxt),
		archiveDigest:           archive,
	}
	app := &lock.LockedApp{
		SpinLockVersion: 0,
		Metadata:        map[string]json.RawMessage{"name": json.RawMessage(`"hello"`)},
		Triggers: []lock.Trigger{{ID: "trigger--hello", TriggerType: "http",
			TriggerConfig: json.RawMessage(`{"component":"hello","executor":null,"route":"/..."}`)}},
		Components: []lock.Component{
			{
				ID:     "hello",
				Source: wasmRef(dg(wasm)),
				Env:    map[string]string{"K": "V"},
				Files: []lock.ContentPath{
					fileRef("static/a.txt", dg(aTxt)),
					{ContentRef: lock.ContentRef{Inline: inline("hi"), Digest: dg("hi")}, Path: "hi.txt"},
					// Empty file: inline "" and no layer, as Spin 2 pushes it.
					{ContentRef: lock.ContentRef{Inline: inline(""), Digest: dg("")}, Path: "empty"},
					fileRef("from/archive.txt", dg(arcTxt)),
					fileRef("twice.txt", dg(arcTwice)),
				},
			},
			// Same wasm as hello: written once.
			{ID: "hello2", Source: wasmRef(dg(wasm))},
			// Inline-only source without digest.
			{ID: "tiny", Source: lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Inline: inline(tinyWasm)}},
				Files: []lock.ContentPath{fileRef("again.txt", dg(aTxt))}},
		},
	}
	before, err := json.Marshal(app)
	if err != nil {
		t.Fatal(err)
	}

	parent := t.TempDir()
	dir := filepath.Join(parent, "app")
	content := Content{
		Blobs: blobs,
		// Duplicated archive, and a listed archive that is absent but never
		// needed (files found before reaching it).
		Archives: []digest.Digest{archiveDigest, archiveDigest, digest.FromString("absent archive")},
		Store:    store,
	}
	materialized, err := Materialize(context.Background(), app, content, dir)
	if err != nil {
		t.Fatal(err)
	}
	local := materialized.Lock()

	after, _ := json.Marshal(app)
	if !bytes.Equal(before, after) {
		t.Error("Materialize modified its input app")
	}

	wasmPath := filepath.Join(dir, "wasm", digest.FromString(wasm).Encoded()+".wasm")
	tinyPath := filepath.Join(dir, "wasm", digest.FromString(tinyWasm).Encoded()+".wasm")
	wantFiles := map[string]string{
		wasmPath: wasm,
		tinyPath: tinyWasm,
		filepath.Join(dir, "files/hello/static/a.txt"):     aTxt,
		filepath.Join(dir, "files/hello/hi.txt"):           "hi",
		filepath.Join(dir, "files/hello/empty"):            "",
		filepath.Join(dir, "files/hello/from/archive.txt"): arcTxt,
		filepath.Join(dir, "files/hello/twice.txt"):        arcTwice,
		filepath.Join(dir, "files/tiny/again.txt"):         aTxt,
	}
	for p, want := range wantFiles {
		if got := readString(t, p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
		if store != nil {
			assertStoreLinked(t, store, p, want)
		}
	}
	// Exactly the expected tree: no scratch dir, nothing from archive names.
	var all []string
	err = filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			all = append(all, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(wantFiles)+1 { // + spin.lock
		t.Errorf("files under parent = %v, want the %d expected ones plus spin.lock", all, len(wantFiles))
	}
	if _, err := os.Stat(filepath.Join(dir, scratchDirName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("scratch dir left in place: %v", err)
	}

	// The local lock.
	wantHello := lock.Component{
		ID:     "hello",
		Source: lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Source: "file://" + wasmPath, Digest: dg(wasm)}},
		Env:    map[string]string{"K": "V"},
		Files:  []lock.ContentPath{{ContentRef: lock.ContentRef{Source: "file://" + filepath.Join(dir, "files", "hello")}, Path: "/"}},
	}
	if !reflect.DeepEqual(local.Components[0], wantHello) {
		t.Errorf("local hello =\n%+v\nwant\n%+v", local.Components[0], wantHello)
	}
	if got := local.Components[1]; got.Source.Source != "file://"+wasmPath || got.Files != nil {
		t.Errorf("local hello2 = %+v", got)
	}
	if got := local.Components[2].Source.Source; got != "file://"+tinyPath {
		t.Errorf("local tiny source = %q", got)
	}
	if !reflect.DeepEqual(local.Triggers, app.Triggers) || !reflect.DeepEqual(local.Metadata, app.Metadata) {
		t.Error("triggers or metadata changed")
	}

	// spin.lock on disk is the returned lock, pretty-printed.
	raw := readString(t, filepath.Join(dir, "spin.lock"))
	if !strings.Contains(raw, "\n  \"components\": [") {
		t.Errorf("spin.lock is not pretty-printed:\n%s", raw)
	}
	onDisk, err := ReadLock(filepath.Join(dir, "spin.lock"))
	if err != nil {
		t.Fatal(err)
	}
	// Compare encodings: raw JSON values are re-indented on disk.
	diskJSON, _ := json.Marshal(onDisk)
	localJSON, _ := json.Marshal(local)
	if !bytes.Equal(diskJSON, localJSON) {
		t.Errorf("spin.lock differs from the returned lock:\n%s", raw)
	}

	// The local lock is usable through WasmPath and Mounts.
	hello, _ := onDisk.Component("hello")
	if p, err := WasmPath(hello); err != nil || p != wasmPath {
		t.Errorf("WasmPath = %q, %v", p, err)
	}
	mounts, err := Mounts(hello)
	wantMounts := []Mount{{HostPath: filepath.Join(dir, "files", "hello"), GuestPath: "/"}}
	if err != nil || !reflect.DeepEqual(mounts, wantMounts) {
		t.Errorf("Mounts = %+v, %v; want %+v", mounts, err, wantMounts)
	}

	// The returned App describes the same paths, and so does Open.
	opened, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]*App{"Materialize": materialized, "Open": opened} {
		if a.Dir() != dir {
			t.Errorf("%s: Dir = %q, want %q", name, a.Dir(), dir)
		}
		c, ok := a.Component("hello")
		if !ok || c.WasmPath != wasmPath || !reflect.DeepEqual(c.Mounts, wantMounts) || c.Lock.ID != "hello" {
			t.Errorf("%s: hello = %+v, %v", name, c, ok)
		}
		if c, ok := a.Component("hello2"); !ok || c.WasmPath != wasmPath || len(c.Mounts) != 0 {
			t.Errorf("%s: hello2 = %+v, %v", name, c, ok)
		}
		if c, ok := a.Component("tiny"); !ok || c.WasmPath != tinyPath {
			t.Errorf("%s: tiny = %+v, %v", name, c, ok)
		}
		if n := len(a.Components()); n != 3 {
			t.Errorf("%s: %d components, want 3", name, n)
		}
	}
	if c, ok := materialized.Component("hello"); !ok || c.Lock != &local.Components[0] {
		t.Error("the App's component does not refer to its lock's element")
	}
}

func TestMaterializeDependencies(t *testing.T) {
	const main, dep = "main wasm", "dependency wasm"
	app := &lock.LockedApp{Components: []lock.Component{{
		ID:     "c",
		Source: wasmRef(dg(main)),
		Dependencies: map[string]json.RawMessage{
			"a:b/c": json.RawMessage(`{"source":{"content_type":"application/wasm","digest":"` + dg(dep) + `"},"export":null}`),
		},
	}}}
	blobs := MapBlobs{digest.FromString(main): []byte(main), digest.FromString(dep): []byte(dep)}
	dir := filepath.Join(t.TempDir(), "app")
	materialized, err := Materialize(context.Background(), app, Content{Blobs: blobs}, dir)
	if err != nil {
		t.Fatal(err)
	}
	local := materialized.Lock()
	depPath := filepath.Join(dir, "wasm", digest.FromString(dep).Encoded()+".wasm")
	want := `{"export":null,"source":{"content_type":"application/wasm","source":"file://` + depPath + `","digest":"` + dg(dep) + `"}}`
	if got := string(local.Components[0].Dependencies["a:b/c"]); got != want {
		t.Errorf("dependency = %s, want %s", got, want)
	}
	if got := readString(t, depPath); got != dep {
		t.Errorf("dependency wasm = %q", got)
	}
}

func TestMaterializeExistingDir(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "app")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	app := &lock.LockedApp{Components: []lock.Component{{ID: "c", Source: lock.ComponentSource{ContentRef: lock.ContentRef{Inline: inline("x")}}}}}
	_, err := Materialize(context.Background(), app, Content{}, dir)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v, want fs.ErrExist", err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("parent holds %d entries, want only the existing dir", len(entries))
	}
}

// An application directory records each wasm's checked digest: Materialize
// and Open give it as WasmDigest; FromLocal, whose lock nobody checked,
// never does, even when the lock names one.
func TestWasmDigestOfMaterializedApps(t *testing.T) {
	const wasm = "\x00asm\x01\x00\x00\x00"
	app := &lock.LockedApp{Components: []lock.Component{{ID: "c", Source: wasmRef(dg(wasm))}}}
	dir := filepath.Join(t.TempDir(), "app")
	materialized, err := Materialize(context.Background(), app, Content{Blobs: MapBlobs{digest.FromString(wasm): []byte(wasm)}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]*App{"Materialize": materialized, "Open": opened} {
		if c, _ := a.Component("c"); c.WasmDigest.String() != dg(wasm) {
			t.Errorf("%s: WasmDigest = %q, want %s", name, c.WasmDigest, dg(wasm))
		}
	}
	local, err := FromLocal(opened.Lock())
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := local.Component("c"); c.WasmDigest != "" {
		t.Errorf("FromLocal: WasmDigest = %q, want none", c.WasmDigest)
	}
}
