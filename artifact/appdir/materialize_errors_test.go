package appdir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/lock"
)

// failingBlobs fails every Open with a non-"not found" error.
type failingBlobs struct{}

func (failingBlobs) Open(context.Context, digest.Digest) (io.ReadCloser, error) {
	return nil, errors.New("content store unavailable")
}

// materializeErrorCase is a Materialize call that must fail.
type materializeErrorCase struct {
	name     string
	app      *lock.LockedApp
	content  Content
	ctx      func() context.Context
	wantErr  string
	wantIs   error
	wantErr2 string // optional second substring
}

func TestMaterializeErrors(t *testing.T) {
	const wasm, aTxt = "wasm bytes", "a text"
	goodBlobs := MapBlobs{digest.FromString(wasm): []byte(wasm), digest.FromString(aTxt): []byte(aTxt)}
	withFiles := func(files ...lock.ContentPath) *lock.LockedApp {
		return &lock.LockedApp{Components: []lock.Component{{ID: "hello", Source: wasmRef(dg(wasm)), Files: files}}}
	}
	bigArchive := makeTarGz(t, tarEntry{name: "big", body: strings.Repeat("x", 64<<10)})
	tamperedArchive := makeTarGz(t, tarEntry{name: "f", body: aTxt})

	tests := []materializeErrorCase{
		{
			name: "file digest mismatch",
			app:  withFiles(fileRef("static/a.txt", dg(aTxt))),
			content: Content{Blobs: MapBlobs{
				digest.FromString(wasm): []byte(wasm),
				digest.FromString(aTxt): []byte("tampered"),
			}},
			wantErr: fmt.Sprintf(`lock: component "hello": file "static/a.txt": digest mismatch: expected %s got %s`, dg(aTxt), dg("tampered")),
			wantIs:  ErrDigestMismatch,
		},
		{
			name:    "source digest mismatch",
			app:     withFiles(),
			content: Content{Blobs: MapBlobs{digest.FromString(wasm): []byte("evil")}},
			wantErr: fmt.Sprintf(`lock: component "hello": source: digest mismatch: expected %s got %s`, dg(wasm), dg("evil")),
			wantIs:  ErrDigestMismatch,
		},
		{
			name:    "inline mismatch",
			app:     withFiles(lock.ContentPath{ContentRef: lock.ContentRef{Inline: inline("hi"), Digest: dg("ho")}, Path: "hi.txt"}),
			content: Content{Blobs: goodBlobs},
			wantErr: `lock: component "hello": file "hi.txt": inline content: digest mismatch: expected ` + dg("ho"),
			wantIs:  ErrDigestMismatch,
		},
		{name: "dotdot", app: withFiles(fileRef("../x", dg(aTxt))), content: Content{Blobs: goodBlobs},
			wantErr: `lock: component "hello": file "../x": path "../x" has a ".." segment`, wantIs: lock.ErrInvalid},
		{name: "inner dotdot", app: withFiles(fileRef("a/../../x", dg(aTxt))), content: Content{Blobs: goodBlobs},
			wantErr: `has a ".." segment`},
		{name: "absolute", app: withFiles(fileRef("/abs", dg(aTxt))), content: Content{Blobs: goodBlobs},
			wantErr: `file "/abs": path "/abs" is absolute`},
		{name: "dot segment", app: withFiles(fileRef("a/./b", dg(aTxt))), content: Content{Blobs: goodBlobs},
			wantErr: `file "a/./b": path "a/./b" has a "." segment`},
		{name: "leading dot", app: withFiles(fileRef("./b", dg(aTxt))), content: Content{Blobs: goodBlobs},
			wantErr: `has a "." segment`},
		{name: "empty segment", app: withFiles(fileRef("a//b", dg(aTxt))), content: Content{Blobs: goodBlobs},
			wantErr: `has an empty segment`},
		{name: "trailing slash", app: withFiles(fileRef("a/", dg(aTxt))), content: Content{Blobs: goodBlobs},
			wantErr: `has an empty segment`},
		{name: "empty path", app: withFiles(fileRef("", dg(aTxt))), content: Content{Blobs: goodBlobs},
			wantErr: `empty path`},
		{name: "backslash", app: withFiles(fileRef(`a\..\b`, dg(aTxt))), content: Content{Blobs: goodBlobs},
			wantErr: `backslash or NUL`},
		{name: "nul", app: withFiles(fileRef("a\x00b", dg(aTxt))), content: Content{Blobs: goodBlobs},
			wantErr: `backslash or NUL`},
		{
			name: "missing blob",
			app:  withFiles(fileRef("static/a.txt", dg("nowhere"))),
			content: Content{
				Blobs:    MapBlobs{digest.FromString(wasm): []byte(wasm), digest.FromBytes(tamperedArchive): tamperedArchive},
				Archives: []digest.Digest{digest.FromBytes(tamperedArchive)},
			},
			wantErr: fmt.Sprintf(`lock: component "hello": file "static/a.txt": blob not found: %s is in neither the artifact's layers nor its archives`, dg("nowhere")),
			wantIs:  ErrBlobNotFound,
		},
		{
			name:    "missing source blob",
			app:     withFiles(),
			content: Content{Blobs: MapBlobs{}},
			wantErr: fmt.Sprintf(`lock: component "hello": source: blob not found: %s`, dg(wasm)),
			wantIs:  ErrBlobNotFound,
		},
		{
			name:    "source URI",
			app:     &lock.LockedApp{Components: []lock.Component{{ID: "hello", Source: lock.ComponentSource{ContentRef: lock.ContentRef{Source: "file:///etc/passwd"}}}}},
			content: Content{Blobs: goodBlobs},
			wantErr: `lock: component "hello": source: source URI "file:///etc/passwd" cannot be resolved`,
		},
		{
			name:    "file source URI",
			app:     withFiles(lock.ContentPath{ContentRef: lock.ContentRef{Source: "file:///etc"}, Path: "etc"}),
			content: Content{Blobs: goodBlobs},
			wantErr: `file "etc": source URI "file:///etc" cannot be resolved`,
		},
		{
			name:    "no content at all",
			app:     withFiles(lock.ContentPath{Path: "x"}),
			content: Content{Blobs: goodBlobs},
			wantErr: `file "x": no inline content and no digest`,
		},
		{
			name:    "padded inline",
			app:     withFiles(lock.ContentPath{ContentRef: lock.ContentRef{Inline: ptr("aGk=")}, Path: "hi.txt"}),
			content: Content{Blobs: goodBlobs},
			wantErr: `file "hi.txt": lock: inline content: illegal base64 data`,
		},
		{
			name:    "malformed digest",
			app:     withFiles(fileRef("a", "sha256:1234")),
			content: Content{Blobs: goodBlobs},
			wantErr: `file "a": digest "sha256:1234"`,
		},
		{
			name:    "same path twice",
			app:     withFiles(fileRef("a", dg(aTxt)), fileRef("a", dg(aTxt))),
			content: Content{Blobs: goodBlobs},
			wantErr: `file "a": files/hello/a is written twice`,
		},
		{
			name:    "file where a directory is needed",
			app:     withFiles(fileRef("a", dg(aTxt)), fileRef("a/b", dg(aTxt))),
			content: Content{Blobs: goodBlobs},
			wantErr: `file "a/b"`,
		},
		{
			name:    "component id as path",
			app:     &lock.LockedApp{Components: []lock.Component{{ID: "..", Source: wasmRef(dg(wasm)), Files: []lock.ContentPath{fileRef("a", dg(aTxt))}}}},
			content: Content{Blobs: goodBlobs},
			wantErr: `component id ".." cannot be used as a directory name`,
		},
		{
			name:    "blob store failure",
			app:     withFiles(),
			content: Content{Blobs: failingBlobs{}},
			wantErr: `lock: component "hello": source: open ` + dg(wasm) + `: content store unavailable`,
		},
		{
			name:     "archive over the limit",
			app:      withFiles(fileRef("big", dg(strings.Repeat("x", 64<<10)))),
			content:  Content{Blobs: MapBlobs{digest.FromString(wasm): []byte(wasm), digest.FromBytes(bigArchive): bigArchive}, Archives: []digest.Digest{digest.FromBytes(bigArchive)}, MaxUnpackedSize: 16 << 10},
			wantErr:  `archive ` + digest.FromBytes(bigArchive).String() + `: `,
			wantErr2: `archive unpacked size exceeds the limit (limit 16384 bytes)`,
			wantIs:   ErrArchiveTooLarge,
		},
		{
			name: "archive digest mismatch",
			app:  withFiles(fileRef("a", dg(aTxt))),
			content: Content{
				Blobs:    MapBlobs{digest.FromString(wasm): []byte(wasm), digest.FromString("other"): tamperedArchive},
				Archives: []digest.Digest{digest.FromString("other")},
			},
			wantErr: `archive ` + dg("other") + `: digest mismatch`,
			wantIs:  ErrDigestMismatch,
		},
		{
			name:    "listed archive absent when needed",
			app:     withFiles(fileRef("a", dg(aTxt))),
			content: Content{Blobs: MapBlobs{digest.FromString(wasm): []byte(wasm)}, Archives: []digest.Digest{digest.FromString("gone")}},
			wantErr: `archive ` + dg("gone") + ` is listed but cannot be opened`,
		},
		{
			name:    "archive not gzip",
			app:     withFiles(fileRef("a", dg(aTxt))),
			content: Content{Blobs: MapBlobs{digest.FromString(wasm): []byte(wasm), digest.FromString("plain"): []byte("plain")}, Archives: []digest.Digest{digest.FromString("plain")}},
			wantErr: `archive ` + dg("plain") + `: gzip`,
		},
		{
			name:    "unsupported lock",
			app:     &lock.LockedApp{SpinLockVersion: 7},
			wantErr: `spin_lock_version 7 is not supported`,
			wantIs:  lock.ErrUnsupported,
		},
		{
			name:    "cancelled",
			app:     withFiles(fileRef("static/a.txt", dg(aTxt))),
			content: Content{Blobs: goodBlobs},
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			wantErr: "context canceled",
			wantIs:  context.Canceled,
		},
	}
	for _, tt := range tests {
		for _, linked := range []bool{false, true} {
			name := tt.name
			if linked {
				name += " (file store)"
			}
			t.Run(name, func(t *testing.T) { testMaterializeError(t, tt, linked) })
		}
	}
}

func testMaterializeError(t *testing.T, tt materializeErrorCase, linked bool) {
	ctx := context.Background()
	if tt.ctx != nil {
		ctx = tt.ctx()
	}
	content := tt.content
	if linked {
		content.Store = newTestStore(t)
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "app")
	local, err := Materialize(ctx, tt.app, content, dir)
	if err == nil {
		t.Fatalf("Materialize succeeded (%+v), want error containing %q", local, tt.wantErr)
	}
	if !strings.Contains(err.Error(), tt.wantErr) {
		t.Errorf("err = %v\nwant it to contain %q", err, tt.wantErr)
	}
	if tt.wantErr2 != "" && !strings.Contains(err.Error(), tt.wantErr2) {
		t.Errorf("err = %v\nwant it to contain %q", err, tt.wantErr2)
	}
	if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
		t.Errorf("err = %v, want errors.Is %v", err, tt.wantIs)
	}
	assertNothingLeft(t, parent, dir)
	if linked {
		assertStoreEmptyAfterCollect(t, content.Store)
	}
}

func ptr(s string) *string { return &s }
