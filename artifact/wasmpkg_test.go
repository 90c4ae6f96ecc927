package artifact

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/spinoci/spinoci/artifact/appdir"
)

// wasmPackage stores a wkg-style package: CNCF Wasm config and the given
// application/wasm layers.
func wasmPackage(t *testing.T, s *memStore, title string, layers ...[]byte) ocispec.Descriptor {
	t.Helper()
	cfg := s.put(MediaTypeWasmConfig, []byte(`{"created":"2024-06-25T15:58:49.377917735Z","author":null,"architecture":"wasm","os":"wasip1","layerDigests":[],"component":null}`))
	var descs []ocispec.Descriptor
	for _, l := range layers {
		d := s.put(MediaTypeWasm, l)
		if title != "" {
			d.Annotations = map[string]string{ocispec.AnnotationTitle: title}
		}
		descs = append(descs, d)
	}
	return s.putManifest(t, cfg, descs...)
}

func TestLoadWasmPackage(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name     string
		wasm     []byte
		title    string
		executor string
		id       string
	}{
		{"spin http ABI", wasmModule("memory-ish", "handle-http-request", "_start"), "", "spin", "main"},
		{"wasi command", wasmModule("_start"), "My App.wasm", "wagi", "my-app"},
		{"component", append(wasmComponent(), 0x00, 0x01, 0x00), "pkg:name@1.0.0", "spin", "pkg-name-1-0-0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newMemStore()
			target := wasmPackage(t, s, tc.title, tc.wasm)
			a, err := Load(ctx, s, target)
			if err != nil {
				t.Fatal(err)
			}
			if a.Layout != LayoutWasmPackage || a.LockDesc.Digest != "" {
				t.Errorf("layout %s, lock %+v", a.Layout, a.LockDesc)
			}
			triggers, err := a.App.HTTPTriggers()
			if err != nil {
				t.Fatal(err)
			}
			if len(triggers) != 1 || triggers[0].Route != "/..." || triggers[0].Component != tc.id || triggers[0].Executor.Type != tc.executor {
				t.Errorf("triggers %+v", triggers)
			}
			if tc.executor == "wagi" && triggers[0].Executor.Entrypoint != "_start" {
				t.Errorf("entrypoint %q", triggers[0].Executor.Entrypoint)
			}
			dir := materialize(t, a)
			local, err := appdir.ReadLock(filepath.Join(dir, "spin.lock"))
			if err != nil {
				t.Fatal(err)
			}
			p, err := appdir.WasmPath(&local.Components[0])
			if err != nil {
				t.Fatal(err)
			}
			assertFile(t, p, tc.wasm)
		})
	}
}

func TestLoadWasmPackageVariants(t *testing.T) {
	ctx := context.Background()
	wasm := wasmModule("handle-http-request")
	for name, cfg := range map[string]func(s *memStore) ocispec.Descriptor{
		"absent config": func(*memStore) ocispec.Descriptor { return ocispec.Descriptor{} },
		"empty config":  func(s *memStore) ocispec.Descriptor { return s.put(MediaTypeEmptyJSON, []byte("{}")) },
		"image config": func(s *memStore) ocispec.Descriptor {
			return s.put(MediaTypeImageConfig, []byte(`{"architecture":"wasm","os":"wasip1"}`))
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := newMemStore()
			target := s.putManifest(t, cfg(s), s.put(MediaTypeWasm, wasm))
			a, err := Load(ctx, s, target)
			if err != nil {
				t.Fatal(err)
			}
			if a.Layout != LayoutWasmPackage {
				t.Errorf("layout %s", a.Layout)
			}
		})
	}
}

func TestLoadWasmPackageRefusals(t *testing.T) {
	t.Run("two layers", func(t *testing.T) {
		s := newMemStore()
		target := wasmPackage(t, s, "", wasmModule("_start"), wasmModule("handle-http-request"))
		wantErrContains(t, loadErr(t, s, target), "expected single layer in OCI package, found 2 layers")
	})
	t.Run("empty config, two wasm layers", func(t *testing.T) {
		s := newMemStore()
		target := s.putManifest(t, ocispec.Descriptor{}, s.put(MediaTypeWasm, wasmModule("_start")), s.put(MediaTypeWasm, wasmModule("a")))
		wantErrContains(t, loadErr(t, s, target), "expected single layer in OCI package, found 2 layers")
	})
	t.Run("wasm config, other layer type", func(t *testing.T) {
		s := newMemStore()
		cfg := s.put(MediaTypeWasmConfig, []byte(`{}`))
		target := s.putManifest(t, cfg, s.put("application/octet-stream", wasmModule("_start")))
		wantErrContains(t, loadErr(t, s, target), `media type "application/octet-stream"`)
	})
	t.Run("no entry point", func(t *testing.T) {
		s := newMemStore()
		target := wasmPackage(t, s, "", wasmModule("run", "init"))
		wantErrContains(t, loadErr(t, s, target), `"handle-http-request"`, `"_start"`, "exports: [run, init]")
	})
	t.Run("not wasm", func(t *testing.T) {
		s := newMemStore()
		target := wasmPackage(t, s, "", []byte("#!/bin/sh\necho hi\n"))
		wantErrContains(t, loadErr(t, s, target), "not a WebAssembly binary")
	})
}

func TestInspectWasm(t *testing.T) {
	t.Run("exports", func(t *testing.T) {
		m := wasmModule("a", strings.Repeat("b", 300), "_start")
		info, err := inspectWasm(bytes.NewReader(m), int64(len(m)))
		if err != nil {
			t.Fatal(err)
		}
		if info.component || len(info.exports) != 3 || !info.exportsFunc("_start") || info.exportsFunc("handle-http-request") {
			t.Errorf("%+v", info)
		}
	})
	t.Run("no exports", func(t *testing.T) {
		m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
		info, err := inspectWasm(bytes.NewReader(m), int64(len(m)))
		if err != nil || len(info.exports) != 0 {
			t.Errorf("%+v, %v", info, err)
		}
	})
	bad := map[string][]byte{
		"short":             {0, 'a', 's'},
		"version 2":         {0, 'a', 's', 'm', 2, 0, 0, 0},
		"section too large": {0, 'a', 's', 'm', 1, 0, 0, 0, 7, 0x7f},
		"truncated leb":     {0, 'a', 's', 'm', 1, 0, 0, 0, 7, 0x80},
		"truncated export":  append([]byte{0, 'a', 's', 'm', 1, 0, 0, 0}, wasmSection(7, []byte{1, 10, 'a'})...),
		"huge count":        append([]byte{0, 'a', 's', 'm', 1, 0, 0, 0}, wasmSection(7, []byte{0xff, 0xff, 0x03})...),
	}
	for name, m := range bad {
		t.Run(name, func(t *testing.T) {
			if info, err := inspectWasm(bytes.NewReader(m), int64(len(m))); err == nil {
				t.Errorf("accepted: %+v", info)
			}
		})
	}
}

func TestSanitizeComponentID(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "main",
		"hello.wasm":         "hello",
		"dir/My_App.WASM":    "my-app",
		`C:\x\spin-go.wasm`:  "spin-go",
		"pkg:name@1.0.0":     "pkg-name-1-0-0",
		"2fast":              "c-2fast",
		"--":                 "main",
		"héllo wörld":        "h-llo-w-rld",
		"ghcr.io/a/b:latest": "b-latest",
	} {
		if got := sanitizeComponentID(in); got != want {
			t.Errorf("sanitizeComponentID(%q) = %q, want %q", in, got, want)
		}
	}
}
