package registry

import (
	"bytes"
	"context"
	"errors"
	"io"
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
		{"me/app:v2", "docker.io", "me/app", "v2"},
		{"app", "docker.io", "library/app", "latest"},
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
