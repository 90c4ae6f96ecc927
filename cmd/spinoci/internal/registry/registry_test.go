package registry

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content/memory"
)

func TestParseReference(t *testing.T) {
	for _, tc := range []struct{ in, registry, repo, ref string }{
		{"localhost:5000/spin/hello:v1", "localhost:5000", "spin/hello", "v1"},
		{"127.0.0.1:5000/hello", "127.0.0.1:5000", "hello", "latest"},
		{"ghcr.io/me/app@sha256:" + digest.FromString("x").Encoded(), "ghcr.io", "me/app", digest.FromString("x").String()},
		{"docker.io/me/app:v2", "docker.io", "me/app", "v2"},
		{"docker.io/app", "docker.io", "library/app", "latest"},
		{"localhost/app:v1", "localhost", "app", "v1"},
	} {
		r, err := ParseReference(tc.in)
		if err != nil || r.Registry != tc.registry || r.Repository != tc.repo || r.Reference != tc.ref {
			t.Errorf("ParseReference(%q) = %+v, %v; want %s %s %s", tc.in, r, err, tc.registry, tc.repo, tc.ref)
		}
	}
	if _, err := ParseReference("localhost:5000/UPPER:v1"); err == nil {
		t.Errorf("an invalid repository name was accepted")
	}
	// No silent Docker Hub expansion: a reference names its registry.
	for in, want := range map[string]string{
		"app":        "app is not a fully qualified reference: give the registry host, e.g. docker.io/library/app or localhost:5000/app",
		"me/app:v2":  "me/app:v2 is not a fully qualified reference: give the registry host, e.g. docker.io/me/app:v2 or localhost:5000/me/app:v2",
		".hidden/x":  ".hidden/x is not a fully qualified reference",
		"./nope":     "./nope is a path, not a registry reference",
		"/srv/app":   "/srv/app is a path, not a registry reference",
		"~/app":      "~/app is a path, not a registry reference",
		"..":         ".. is a path, not a registry reference",
		"nope.wasm/": "invalid reference",
	} {
		_, err := ParseReference(in)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("ParseReference(%q): %v, want an error starting %q", in, err, want)
		}
	}
	if _, err := ParseReference("me/app"); !errors.Is(err, ErrUnqualified) {
		t.Errorf("ParseReference(me/app): %v, want ErrUnqualified", err)
	}
}

func TestRegistryHost(t *testing.T) {
	for in, want := range map[string]string{
		"ghcr.io":                     "ghcr.io",
		"https://ghcr.io/":            "ghcr.io",
		"localhost:5000":              "localhost:5000",
		"https://index.docker.io/v1/": "docker.io",
		"registry-1.docker.io":        "docker.io",
		"docker.io":                   "docker.io",
	} {
		if got, err := RegistryHost(in); err != nil || got != want {
			t.Errorf("RegistryHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ghcr", "./x"} {
		if got, err := RegistryHost(in); err == nil {
			t.Errorf("RegistryHost(%q) = %q, want an error", in, got)
		}
	}
}

func TestBlobReader(t *testing.T) {
	ctx := context.Background()
	mem := memory.New()
	data := []byte("some blob content")
	desc := ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.FromBytes(data), Size: int64(len(data))}
	if err := mem.Push(ctx, desc, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	cache, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := cache.Blobs.Push(ctx, desc, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if p, ok := cache.BlobPath(desc.Digest); !ok || p == "" {
		t.Errorf("BlobPath of a cached blob: %q %v", p, ok)
	}
	for name, r := range map[string]BlobReader{"memory": {Fetcher: mem}, "cache": {Fetcher: cache.Blobs}} {
		rc, err := r.Open(ctx, desc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != string(data) {
			t.Errorf("%s: read %q (%v), want %q", name, got, err, data)
		}
		missing := ocispec.Descriptor{MediaType: "application/octet-stream", Digest: digest.FromString("missing"), Size: 7}
		if _, err := r.Open(ctx, missing); !errors.Is(err, errdefs.ErrNotFound) {
			t.Errorf("%s: missing blob: %v, want errdefs.ErrNotFound", name, err)
		}
	}
}
