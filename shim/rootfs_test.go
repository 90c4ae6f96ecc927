package shim

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/artifact/appdir"
)

// minimal wasm module: magic and version.
var emptyModule = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}

func writeRootfs(t *testing.T, manifest string, files map[string]string) string {
	t.Helper()
	rootfs := t.TempDir()
	if err := os.WriteFile(filepath.Join(rootfs, "spin.toml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "app.wasm"), emptyModule, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(rootfs, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return rootfs
}

const rootfsManifest = `spin_manifest_version = 2
[application]
name = "docker-built"
[[trigger.http]]
route = "/..."
component = "web"
[component.web]
source = "app.wasm"
files = [{ source = "static", destination = "/static" }]
`

// TestMaterializeRootfs: the app a rootfs's /spin.toml names (a relative
// or an absolute path, which is the image's) is copied into the app
// directory, with a lock the app process can open.
func TestMaterializeRootfs(t *testing.T) {
	rootfs := writeRootfs(t, strings.Replace(rootfsManifest, `source = "app.wasm"`, `source = "/app.wasm"`, 1),
		map[string]string{"static/index.html": "<h1>hi</h1>"})
	dir := filepath.Join(t.TempDir(), "app")
	if err := materializeRootfs(context.Background(), rootfs, dir); err != nil {
		t.Fatal(err)
	}
	app, err := appdir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := app.Component("web")
	if !ok {
		t.Fatal("no component web")
	}
	if !strings.HasPrefix(c.WasmPath, dir) {
		t.Errorf("wasm at %s, want a copy in %s", c.WasmPath, dir)
	}
	if b, err := os.ReadFile(c.WasmPath); err != nil || string(b) != string(emptyModule) {
		t.Errorf("wasm copy: %q, %v", b, err)
	}
	if len(c.Mounts) != 1 || c.Mounts[0].GuestPath != "/static/index.html" {
		t.Fatalf("mounts %+v", c.Mounts)
	}
	if b, err := os.ReadFile(c.Mounts[0].HostPath); err != nil || string(b) != "<h1>hi</h1>" {
		t.Errorf("static copy: %q, %v", b, err)
	}
}

// TestMaterializeRootfsConfined: a manifest naming a file outside the
// rootfs, or a symlink in the image pointing out of it, is refused; an
// image without /spin.toml says what was looked for.
func TestMaterializeRootfsConfined(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("host secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	// An absolute path is the image's, not the host's.
	abs := writeRootfs(t, strings.Replace(rootfsManifest, `source = "app.wasm"`, `source = "`+outside+`"`, 1), map[string]string{"static/a": "a"})
	if err := materializeRootfs(context.Background(), abs, filepath.Join(t.TempDir(), "app")); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("absolute source naming a host file: %v", err)
	}
	// A relative path climbing out of the rootfs to an existing host file.
	dotdot := writeRootfs(t, rootfsManifest, map[string]string{"static/a": "a"})
	rel, err := filepath.Rel(dotdot, outside)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dotdot, "spin.toml"), []byte(strings.Replace(rootfsManifest, `source = "app.wasm"`, `source = "`+rel+`"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := materializeRootfs(context.Background(), dotdot, filepath.Join(t.TempDir(), "app")); err == nil || !strings.Contains(err.Error(), "outside the image's root filesystem") {
		t.Errorf("source with ..: %v", err)
	}
	link := writeRootfs(t, rootfsManifest, map[string]string{"static/a": "a"})
	if err := os.Symlink(outside, filepath.Join(link, "static", "leak")); err != nil {
		t.Fatal(err)
	}
	if err := materializeRootfs(context.Background(), link, filepath.Join(t.TempDir(), "app")); err == nil || !strings.Contains(err.Error(), "static/leak") {
		t.Errorf("symlink out of the rootfs: %v", err)
	}
	if err := materializeRootfs(context.Background(), t.TempDir(), filepath.Join(t.TempDir(), "app")); err == nil || !strings.Contains(err.Error(), "/spin.toml") {
		t.Errorf("no spin.toml: %v", err)
	}
}
