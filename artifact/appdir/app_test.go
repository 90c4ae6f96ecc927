package appdir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/lock"
)

func TestFromLocal(t *testing.T) {
	app := &lock.LockedApp{Components: []lock.Component{
		{ID: "a", Source: lock.ComponentSource{ContentRef: lock.ContentRef{Source: "file:///srv/a.wasm"}},
			Files: []lock.ContentPath{
				{ContentRef: lock.ContentRef{Source: "file:///srv/static"}, Path: "/static"},
				{ContentRef: lock.ContentRef{Source: "file:///srv/config.toml"}, Path: "/etc/config.toml"},
			}},
		{ID: "b", Source: lock.ComponentSource{ContentRef: lock.ContentRef{Source: "file:///srv/a.wasm"}}},
	}}
	got, err := FromLocal(app)
	if err != nil {
		t.Fatal(err)
	}
	if got.Lock() != app || got.Dir() != "" {
		t.Errorf("Lock = %p (want %p), Dir = %q (want \"\")", got.Lock(), app, got.Dir())
	}
	want := []Component{
		{Lock: &app.Components[0], WasmPath: "/srv/a.wasm", Mounts: []Mount{
			{HostPath: "/srv/static", GuestPath: "/static"},
			{HostPath: "/srv/config.toml", GuestPath: "/etc/config.toml"},
		}},
		{Lock: &app.Components[1], WasmPath: "/srv/a.wasm", Mounts: []Mount{}},
	}
	if comps := got.Components(); !reflect.DeepEqual(comps, want) {
		t.Errorf("Components =\n%+v\nwant\n%+v", comps, want)
	}
	// Components returns a copy: the App cannot be changed through it.
	got.Components()[0].WasmPath = "/elsewhere"
	if c, ok := got.Component("a"); !ok || c.WasmPath != "/srv/a.wasm" {
		t.Errorf("Component(a) = %+v, %v", c, ok)
	}
	if _, ok := got.Component("z"); ok {
		t.Error("Component(z) found")
	}
}

func TestFromLocalErrors(t *testing.T) {
	local := lock.ComponentSource{ContentRef: lock.ContentRef{Source: "file:///srv/a.wasm"}}
	tests := []struct {
		name    string
		app     *lock.LockedApp
		wantErr string
		wantIs  error
	}{
		{
			name: "pushed source",
			app: &lock.LockedApp{Components: []lock.Component{{ID: "a", Source: lock.ComponentSource{
				ContentRef: lock.ContentRef{Digest: "sha256:" + strings.Repeat("0", 64)}}}}},
			wantErr: `lock: component "a": source has no URI`,
			wantIs:  ErrNotMaterialized,
		},
		{
			name: "inline file",
			app: &lock.LockedApp{Components: []lock.Component{{ID: "a", Source: local,
				Files: []lock.ContentPath{{ContentRef: lock.ContentRef{Inline: new(string)}, Path: "f"}}}}},
			wantErr: `lock: component "a": file "f" has no source URI`,
			wantIs:  ErrNotMaterialized,
		},
		{
			name: "remote source",
			app: &lock.LockedApp{Components: []lock.Component{{ID: "a", Source: lock.ComponentSource{
				ContentRef: lock.ContentRef{Source: "https://example.com/a.wasm"}}}}},
			wantErr: `is not a file:// URI`,
		},
		{
			name:    "unsupported lock",
			app:     &lock.LockedApp{SpinLockVersion: 7},
			wantErr: `spin_lock_version 7 is not supported`,
			wantIs:  lock.ErrUnsupported,
		},
		{
			name:    "duplicate component",
			app:     &lock.LockedApp{Components: []lock.Component{{ID: "a", Source: local}, {ID: "a", Source: local}}},
			wantErr: `component "a" is declared more than once`,
			wantIs:  lock.ErrInvalid,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromLocal(tt.app)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("FromLocal = %+v, %v; want an error containing %q", got, err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want errors.Is %v", err, tt.wantIs)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	t.Run("no directory", func(t *testing.T) {
		if _, err := Open(filepath.Join(t.TempDir(), "nope")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("err = %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("pushed lock", func(t *testing.T) {
		dir := t.TempDir()
		pushed := `{"spin_lock_version":0,"triggers":[],"components":[{"id":"a","source":{"content_type":"application/wasm","digest":"sha256:x"}}]}`
		if err := os.WriteFile(filepath.Join(dir, LockFileName), []byte(pushed), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(dir); !errors.Is(err, ErrNotMaterialized) {
			t.Errorf("err = %v, want ErrNotMaterialized", err)
		}
	})
	t.Run("malformed lock", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, LockFileName)
		if err := os.WriteFile(path, []byte(`{"components":[]} {}`), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir)
		if err == nil || !strings.Contains(err.Error(), path+": lock: decode") || !errors.Is(err, lock.ErrInvalid) {
			t.Errorf("err = %v, want it to name %s and wrap lock.ErrInvalid", err, path)
		}
	})
}
