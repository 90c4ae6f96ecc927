package manifest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/spinoci/spinoci/lock"
)

// FuzzLoad: Load never panics on any spin.toml; what it accepts is a lock
// that validates and that the shim's lock parser reads back.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"spin1", "spin2"} {
		if data, err := os.ReadFile(filepath.Join("..", "..", "testdata", name, FileName)); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"spin_manifest_version = 2\n[application]\nname = \"a\"\n[[trigger.http]]\nroute = \"/...\"\ncomponent = \"c\"\n[component.c]\nsource = \"apps/hello.wasm\"\nfiles = [\"static/**/*\", { source = \"assets\", destination = \"/a\" }]\n",
		"spin_manifest_version = \"1\"\nname = \"a\"\ntrigger = { type = \"http\", base = \"/\" }\n[[component]]\nid = \"c\"\nsource = \"apps/hello.wasm\"\n[component.trigger]\nroute = \"/...\"\nexecutor = { type = \"wagi\" }\n",
		"spin_version = \"1\"\nname = \"a\"\n",
		"spin_manifest_version = 3\n",
		"spin_manifest_version = 2\n[component.c]\nsource = { url = \"https://example.com/x.wasm\", digest = \"sha256:00\" }\n",
		"[[[",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	for _, sub := range []string{"apps", "static", "assets"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			f.Fatal(err)
		}
	}
	for _, file := range []string{"apps/hello.wasm", "apps/spin-go.wasm", "apps/wagi-go.wasm", "static/index.html", "assets/a.txt"} {
		if err := os.WriteFile(filepath.Join(dir, file), append(append([]byte{}, minimalWasm...), file...), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, toml []byte) {
		path := filepath.Join(dir, FileName)
		if err := os.WriteFile(path, toml, 0o644); err != nil {
			t.Fatal(err)
		}
		app, err := Load(context.Background(), path, Options{})
		if err != nil {
			if app != nil {
				t.Fatalf("lock with error %v", err)
			}
			return
		}
		if err := app.Validate(); err != nil {
			t.Fatalf("loaded lock does not validate: %v", err)
		}
		data, err := json.Marshal(app)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lock.Parse(data); err != nil {
			t.Fatalf("the shim cannot read the lock: %v\n%s", err, data)
		}
	})
}
