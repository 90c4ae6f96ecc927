package artifact

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/spinoci/spinoci/artifact/appdir"
)

// minimalLock is a pushed lock with one component whose wasm is wasm.
func minimalLock(wasm []byte) []byte {
	return []byte(`{"spin_lock_version":0,"triggers":[{"id":"trigger--hello","trigger_type":"http","trigger_config":{"component":"hello","executor":null,"route":"/..."}}],` +
		`"components":[{"id":"hello","source":{"content_type":"application/wasm","digest":"` + digest.FromBytes(wasm).String() + `"}}]}`)
}

// formatB stores a hand-built format B image and returns its manifest
// descriptor and the lock layer descriptor.
func formatB(t *testing.T, s *memStore, config string, wasm []byte) (ocispec.Descriptor, ocispec.Descriptor) {
	t.Helper()
	wasmDesc := s.put(MediaTypeWasmLayer, wasm)
	lockDesc := s.put(MediaTypeSpinApplication, minimalLock(wasm))
	config = strings.ReplaceAll(config, "LOCK", lockDesc.Digest.String())
	cfg := s.put(MediaTypeImageConfig, []byte(config))
	return s.putManifest(t, cfg, wasmDesc, lockDesc), lockDesc
}

const spin24Config = `{"architecture":"wasm","os":"wasip1","config":{"Labels":{"com.fermyon.spin.lockedAppDigest":"LOCK"}},"rootfs":{"type":"layers","diff_ids":[]}}`

func loadErr(t *testing.T, s *memStore, target ocispec.Descriptor) error {
	t.Helper()
	a, err := Load(context.Background(), s, target)
	if err == nil {
		t.Fatalf("Load succeeded (layout %s), want an error", a.Layout)
	}
	return err
}

func wantErrContains(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func TestLoadFormatBConfigVariants(t *testing.T) {
	wasm := wasmModule("handle-http-request")
	for name, cfg := range map[string]string{
		"spin 2.0 (no label)":   `{"architecture":"wasm","os":"wasip1","rootfs":{"type":"layers","diff_ids":[]}}`,
		"spin 2.4 (label)":      spin24Config,
		"oci-client Wasip1":     `{"architecture":"wasm","os":"Wasip1","config":{"Labels":{"com.fermyon.spin.lockedAppDigest":"LOCK"}},"rootfs":{"type":"layers","diff_ids":[]}}`,
		"other labels, no lock": `{"architecture":"WASM","os":"wasip1","config":{"Labels":{"a":"b"}},"rootfs":{"type":"layers","diff_ids":[]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			s := newMemStore()
			target, lockDesc := formatB(t, s, cfg, wasm)
			target.MediaType = "" // not required
			a, err := Load(context.Background(), s, target)
			if err != nil {
				t.Fatal(err)
			}
			if a.Layout != LayoutB || a.LockDesc.Digest != lockDesc.Digest || a.ManifestDesc.MediaType != MediaTypeImageManifest {
				t.Errorf("layout %s, lock %s, manifest %+v", a.Layout, a.LockDesc.Digest, a.ManifestDesc)
			}
			if a.App.Components[0].ID != "hello" {
				t.Errorf("components %+v", a.App.Components)
			}
			materialize(t, a)
		})
	}
}

func TestLoadFormatBRefusals(t *testing.T) {
	wasm := wasmModule("handle-http-request")
	t.Run("label mismatch", func(t *testing.T) {
		s := newMemStore()
		other := digest.FromString("another lock")
		target, lockDesc := formatB(t, s, strings.Replace(spin24Config, "LOCK", other.String(), 1), wasm)
		wantErrContains(t, loadErr(t, s, target), LabelLockedAppDigest, other.String(), lockDesc.Digest.String())
	})
	t.Run("linux config", func(t *testing.T) {
		s := newMemStore()
		target, _ := formatB(t, s, `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`, wasm)
		wantErrContains(t, loadErr(t, s, target), `os "linux", architecture "amd64"`)
	})
	t.Run("non-image config", func(t *testing.T) {
		s := newMemStore()
		lockDesc := s.put(MediaTypeSpinApplication, minimalLock(wasm))
		cfg := s.put("application/x-whatever", []byte("{}"))
		target := s.putManifest(t, cfg, s.put(MediaTypeWasmLayer, wasm), lockDesc)
		wantErrContains(t, loadErr(t, s, target), `config media type is "application/x-whatever"`)
	})
	t.Run("invalid lock", func(t *testing.T) {
		s := newMemStore()
		lockDesc := s.put(MediaTypeSpinApplication, []byte(`{"spin_lock_version":1,"must_understand":["teleport"],"triggers":[],"components":[]}`))
		cfg := s.put(MediaTypeImageConfig, []byte(`{"architecture":"wasm","os":"wasip1"}`))
		target := s.putManifest(t, cfg, lockDesc)
		wantErrContains(t, loadErr(t, s, target), "teleport")
	})
}

func TestLoadLastLockLayerWins(t *testing.T) {
	s := newMemStore()
	wasm := wasmModule("handle-http-request")
	first := s.put(MediaTypeSpinApplication, []byte(`not a lock`))
	second := s.put(MediaTypeSpinApplication, minimalLock(wasm))
	cfg := s.put(MediaTypeImageConfig, []byte(`{"architecture":"wasm","os":"wasip1"}`))
	target := s.putManifest(t, cfg, first, s.put(MediaTypeWasmLayer, wasm), second)
	a, err := Load(context.Background(), s, target)
	if err != nil {
		t.Fatal(err)
	}
	if a.LockDesc.Digest != second.Digest {
		t.Errorf("lock %s, want the last layer %s", a.LockDesc.Digest, second.Digest)
	}
}

func TestLoadFormatADuplicateLayersAndUnknownTypes(t *testing.T) {
	// Spin 1.x did not de-duplicate layers; unknown layer types are ignored.
	s := newMemStore()
	wasm := wasmModule("handle-http-request")
	cfg := s.put(MediaTypeSpinApplication, minimalLock(wasm))
	w := s.put(MediaTypeWasmLayer, wasm)
	odd := s.put("application/x-unknown", []byte("?"))
	target := s.putManifest(t, cfg, w, w, odd)
	a, err := Load(context.Background(), s, target)
	if err != nil {
		t.Fatal(err)
	}
	if a.Layout != LayoutA {
		t.Errorf("layout %s", a.Layout)
	}
	dir := materialize(t, a)
	assertFile(t, filepath.Join(dir, "wasm", digest.FromBytes(wasm).Encoded()+".wasm"), wasm)
	if _, err := a.Content.Blobs.Open(context.Background(), odd.Digest); !errors.Is(err, appdir.ErrBlobNotFound) {
		t.Errorf("unknown layer type opened: %v", err)
	}
}

func TestLoadRefusesLinuxImage(t *testing.T) {
	s := newMemStore()
	cfg := s.put(MediaTypeImageConfig, []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:aa"]}}`))
	layer := s.put("application/vnd.oci.image.layer.v1.tar+gzip", []byte("tarball"))
	target := s.putManifest(t, cfg, layer)
	err := loadErr(t, s, target)
	want := `artifact: not a Spin application: config media type "application/vnd.oci.image.config.v1+json" (os "linux", architecture "amd64"), layers [application/vnd.oci.image.layer.v1.tar+gzip]`
	if err.Error() != want {
		t.Errorf("error\n got %s\nwant %s", err, want)
	}
}

// index stores an index (OCI or Docker list) of the given entries.
func index(t *testing.T, s *memStore, mediaType string, entries ...ocispec.Descriptor) ocispec.Descriptor {
	t.Helper()
	return s.putJSON(t, mediaType, ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: mediaType,
		Manifests: entries,
	})
}

func withPlatform(d ocispec.Descriptor, os, arch, variant string) ocispec.Descriptor {
	d.MediaType = MediaTypeImageManifest
	d.Platform = &ocispec.Platform{OS: os, Architecture: arch, Variant: variant}
	return d
}

func TestLoadIndex(t *testing.T) {
	ctx := context.Background()
	s := newMemStore()
	spin, _ := formatB(t, s, spin24Config, wasmModule("handle-http-request"))
	linuxCfg := s.put(MediaTypeImageConfig, []byte(`{"architecture":"amd64","os":"linux"}`))
	linux := s.putManifest(t, linuxCfg, s.put("application/vnd.oci.image.layer.v1.tar+gzip", []byte("x")))

	t.Run("wasm entry among linux ones", func(t *testing.T) {
		for _, mt := range []string{MediaTypeImageIndex, MediaTypeDockerManifestList} {
			idx := index(t, s, mt,
				withPlatform(linux, "linux", "amd64", ""),
				withPlatform(spin, "WASIp1", "Wasm", ""),
				withPlatform(linux, "linux", "arm64", "v8"))
			a, err := Load(ctx, s, idx)
			if err != nil {
				t.Fatalf("%s: %v", mt, err)
			}
			if a.ManifestDesc.Digest != spin.Digest || a.Layout != LayoutB {
				t.Errorf("%s: picked %s", mt, a.ManifestDesc.Digest)
			}
		}
	})
	t.Run("wasip1 preferred over wasip2", func(t *testing.T) {
		other, _ := formatB(t, newMemStore(), spin24Config, wasmModule("_start")) // not in s: must not be picked
		idx := index(t, s, MediaTypeImageIndex, withPlatform(other, "wasip2", "wasm", ""), withPlatform(spin, "wasip1", "wasm", ""))
		a, err := Load(ctx, s, idx)
		if err != nil {
			t.Fatal(err)
		}
		if a.ManifestDesc.Digest != spin.Digest {
			t.Errorf("picked %s", a.ManifestDesc.Digest)
		}
	})
	t.Run("single entry", func(t *testing.T) {
		idx := index(t, s, MediaTypeImageIndex, withPlatform(spin, "linux", "amd64", ""))
		a, err := Load(ctx, s, idx)
		if err != nil {
			t.Fatal(err)
		}
		if a.ManifestDesc.Digest != spin.Digest {
			t.Errorf("picked %s", a.ManifestDesc.Digest)
		}
	})
	t.Run("no mediaType anywhere", func(t *testing.T) {
		idx := s.putJSON(t, "", map[string]any{"schemaVersion": 2, "manifests": []ocispec.Descriptor{{Digest: spin.Digest, Size: spin.Size}}})
		idx.MediaType = ""
		a, err := Load(ctx, s, idx)
		if err != nil {
			t.Fatal(err)
		}
		if a.ManifestDesc.Digest != spin.Digest || a.ManifestDesc.MediaType != MediaTypeImageManifest {
			t.Errorf("picked %+v", a.ManifestDesc)
		}
	})
	t.Run("ambiguous", func(t *testing.T) {
		idx := index(t, s, MediaTypeImageIndex, withPlatform(linux, "linux", "amd64", ""), withPlatform(linux, "linux", "arm64", "v8"))
		wantErrContains(t, loadErr(t, s, idx), "no wasm manifest", "[linux/amd64, linux/arm64/v8]")
	})
	t.Run("empty", func(t *testing.T) {
		wantErrContains(t, loadErr(t, s, index(t, s, MediaTypeImageIndex)), "no manifests")
	})
}

func TestLoadCorruption(t *testing.T) {
	ctx := context.Background()
	wasm := wasmModule("handle-http-request")
	t.Run("manifest", func(t *testing.T) {
		s := newMemStore()
		target, _ := formatB(t, s, spin24Config, wasm)
		b := s.get(t, target.Digest)
		s.replace(target.Digest, []byte(strings.Replace(string(b), `"schemaVersion":2`, `"schemaVersion":3`, 1)))
		wantErrContains(t, loadErr(t, s, target), "read manifest", "digest mismatch")
	})
	t.Run("manifest size", func(t *testing.T) {
		s := newMemStore()
		target, _ := formatB(t, s, spin24Config, wasm)
		s.replace(target.Digest, append(s.get(t, target.Digest), ' '))
		wantErrContains(t, loadErr(t, s, target), "read manifest", "size")
	})
	t.Run("lock", func(t *testing.T) {
		s := newMemStore()
		target, lockDesc := formatB(t, s, spin24Config, wasm)
		b := s.get(t, lockDesc.Digest)
		s.replace(lockDesc.Digest, []byte(strings.Replace(string(b), `"route":"/..."`, `"route":"/.../"`, 1)[:len(b)]))
		wantErrContains(t, loadErr(t, s, target), "Spin lock", "digest mismatch")
	})
	t.Run("config", func(t *testing.T) {
		s := newMemStore()
		target, _ := formatB(t, s, spin24Config, wasm)
		cfg := s.manifest(t, target).Config
		s.replace(cfg.Digest, []byte(strings.Replace(string(s.get(t, cfg.Digest)), "wasip1", "wasip2", 1)))
		wantErrContains(t, loadErr(t, s, target), "image config", "digest mismatch")
	})
	t.Run("wasm layer", func(t *testing.T) {
		s := newMemStore()
		target, _ := formatB(t, s, spin24Config, wasm)
		a, err := Load(ctx, s, target)
		if err != nil {
			t.Fatal(err)
		}
		d := digest.FromBytes(wasm)
		bad := append([]byte{}, wasm...)
		bad[len(bad)-1] ^= 0xff
		s.replace(d, bad)
		rc, err := a.Content.Blobs.Open(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if _, err := io.ReadAll(rc); err == nil || !strings.Contains(err.Error(), "digest mismatch") {
			t.Errorf("reading a corrupted layer: %v", err)
		}
		if _, err := appdir.Materialize(ctx, a.App, a.Content, filepath.Join(t.TempDir(), "app")); err == nil {
			t.Error("Materialize accepted a corrupted wasm layer")
		}
	})
	t.Run("oversized", func(t *testing.T) {
		s := newMemStore()
		target, _ := formatB(t, s, spin24Config, wasm)
		target.Size = maxManifestSize + 1
		wantErrContains(t, loadErr(t, s, target), "exceeds the limit")
	})
	t.Run("missing", func(t *testing.T) {
		s := newMemStore()
		wantErrContains(t, loadErr(t, s, ocispec.Descriptor{Digest: digest.FromString("x"), Size: 1}), "read manifest", "not found")
	})
}

func TestContentBlobs(t *testing.T) {
	ctx := context.Background()
	s := newMemStore()
	wasm := wasmModule("handle-http-request")
	target, lockDesc := formatB(t, s, spin24Config, wasm)
	a, err := Load(ctx, s, target)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := a.Content.Blobs.Open(ctx, digest.FromBytes(wasm))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != string(wasm) {
		t.Errorf("read %d bytes, %v", len(got), err)
	}
	for name, d := range map[string]digest.Digest{
		"unknown digest": digest.FromString("nope"),
		"lock layer":     lockDesc.Digest,
		"config":         s.manifest(t, target).Config.Digest,
	} {
		if _, err := a.Content.Blobs.Open(ctx, d); !errors.Is(err, appdir.ErrBlobNotFound) {
			t.Errorf("%s: got %v, want ErrBlobNotFound", name, err)
		}
	}
	// A layer listed in the manifest but missing from the store.
	s.mu.Lock()
	delete(s.blobs, digest.FromBytes(wasm))
	s.mu.Unlock()
	if _, err := a.Content.Blobs.Open(ctx, digest.FromBytes(wasm)); !errors.Is(err, appdir.ErrBlobNotFound) {
		t.Errorf("missing layer: got %v, want ErrBlobNotFound", err)
	}
}

func TestLayoutString(t *testing.T) {
	for l, want := range map[Layout]string{LayoutA: "A (", LayoutB: "B (", LayoutWasmPackage: "Wasm package", 0: "Layout(0)"} {
		if got := l.String(); !strings.HasPrefix(got, want) {
			t.Errorf("%d: %q", int(l), got)
		}
	}
}
