package appdir

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/lock"
)

func TestLocalLockHelpers(t *testing.T) {
	app, err := ReadLock(filepath.Join("..", "..", "lock", "testdata", "wagi-custom-entrypoint-v0.lock"))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := app.Component("wagi")
	if p, err := WasmPath(c); err != nil || p != "/tmp/app/wagi.wasm" {
		t.Errorf("WasmPath = %q, %v", p, err)
	}
	mounts, err := Mounts(c)
	if want := []Mount{{HostPath: "/tmp/app/assets/fs", GuestPath: "/"}}; err != nil || !reflect.DeepEqual(mounts, want) {
		t.Errorf("Mounts = %+v, %v; want %+v", mounts, err, want)
	}
}

func TestMountsSingleFileAndGuestPath(t *testing.T) {
	c := &lock.Component{ID: "c", Files: []lock.ContentPath{
		{ContentRef: lock.ContentRef{Source: "file:///srv/app/static"}, Path: "/static"},
		{ContentRef: lock.ContentRef{Source: "file:///srv/app/config.toml"}, Path: "/etc/config.toml"},
		{ContentRef: lock.ContentRef{Source: "file:///srv/with%20space"}, Path: "/sp"},
	}}
	got, err := Mounts(c)
	want := []Mount{
		{HostPath: "/srv/app/static", GuestPath: "/static"},
		{HostPath: "/srv/app/config.toml", GuestPath: "/etc/config.toml"},
		{HostPath: "/srv/with space", GuestPath: "/sp"},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Mounts = %+v, %v; want %+v", got, err, want)
	}
	if m, err := Mounts(&lock.Component{ID: "none"}); err != nil || len(m) != 0 {
		t.Errorf("no files: Mounts = %v, %v", m, err)
	}
}

func TestLocalLockHelperErrors(t *testing.T) {
	tests := []struct {
		name     string
		source   string
		files    []lock.ContentPath
		wantErr  string
		notLocal bool
	}{
		{name: "digest-only source", source: "", wantErr: `lock: component "c": source has no URI: lock is not materialised`, notLocal: true},
		{name: "https source", source: "https://example.com/a.wasm", wantErr: `is not a file:// URI`},
		{name: "relative file URI", source: "file:a.wasm", wantErr: `is not an absolute path`},
		{name: "remote host", source: "file://server/a.wasm", wantErr: `names a remote host`},
		{name: "digest-only file", source: "file:///a.wasm",
			files:   []lock.ContentPath{{ContentRef: lock.ContentRef{Digest: "sha256:x"}, Path: "a.txt"}},
			wantErr: `lock: component "c": file "a.txt" has no source URI: lock is not materialised`, notLocal: true},
		{name: "inline file", source: "file:///a.wasm",
			files:   []lock.ContentPath{{ContentRef: lock.ContentRef{Inline: ptr("aGk")}, Path: "hi.txt"}},
			wantErr: `file "hi.txt" has no source URI`, notLocal: true},
		{name: "non-file file source", source: "file:///a.wasm",
			files:   []lock.ContentPath{{ContentRef: lock.ContentRef{Source: "oci://x"}, Path: "/"}},
			wantErr: `file "/": source URI "oci://x" is not a file:// URI`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &lock.Component{ID: "c", Source: lock.ComponentSource{ContentRef: lock.ContentRef{Source: tt.source}}, Files: tt.files}
			var err error
			if tt.files == nil {
				_, err = WasmPath(c)
			} else {
				_, err = Mounts(c)
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrNotMaterialized) != tt.notLocal {
				t.Errorf("errors.Is(err, ErrNotMaterialized) = %v, want %v", !tt.notLocal, tt.notLocal)
			}
		})
	}
}

func TestFileURIRoundTrip(t *testing.T) {
	for _, p := range []string{"/a/b.wasm", "/with space/x", "/per%cent/#hash?q"} {
		got, err := FilePathFromURI(FileURI(p))
		if err != nil || got != p {
			t.Errorf("FilePathFromURI(FileURI(%q)) = %q, %v", p, got, err)
		}
	}
	if got := FileURI("/a/b"); got != "file:///a/b" {
		t.Errorf("FileURI = %q", got)
	}
}
