package cli

import (
	"context"
	"encoding/json"
	"path"
	"path/filepath"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	orascontent "oras.land/oras-go/v2/content"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/cmd/spinoci/internal/registry"
	"github.com/spinoci/spinoci/lock"
)

// Layer kinds: the "kind" of a layer in `inspect --json`, and the words of
// the text summary.
const (
	kindWasm    = "wasm"
	kindData    = "data"
	kindArchive = "archive"
	kindLock    = "lock"
	kindOther   = "other"
)

// layerKind classifies a layer by its media type.
func layerKind(mediaType string) string {
	switch mediaType {
	case artifact.MediaTypeWasmLayer, artifact.MediaTypeWasm:
		return kindWasm
	case artifact.MediaTypeDataLayer:
		return kindData
	case artifact.MediaTypeArchiveLayer:
		return kindArchive
	case artifact.MediaTypeSpinApplication:
		return kindLock
	}
	return kindOther
}

// blobNoun names a blob by its media type, for progress output.
func blobNoun(mediaType string) string {
	switch mediaType {
	case artifact.MediaTypeWasmLayer, artifact.MediaTypeWasm:
		return "wasm layer"
	case artifact.MediaTypeDataLayer:
		return "file"
	case artifact.MediaTypeArchiveLayer:
		return "files archive"
	case artifact.MediaTypeSpinApplication:
		return appdir.LockFileName
	case artifact.MediaTypeImageConfig, artifact.MediaTypeDockerImageConfig, artifact.MediaTypeWasmConfig:
		return "image config"
	case artifact.MediaTypeImageManifest, artifact.MediaTypeDockerManifest:
		return "manifest"
	case artifact.MediaTypeImageIndex, artifact.MediaTypeDockerManifestList:
		return "index"
	}
	return mediaType
}

// pushBlobName names the blobs of a push: by title annotation, by their
// file's path relative to appDir (the files archives, temporary files, by
// their kind), else by their kind.
func pushBlobName(appDir string) func(ocispec.Descriptor, string) string {
	return func(desc ocispec.Descriptor, file string) string {
		if t := desc.Annotations[ocispec.AnnotationTitle]; t != "" {
			return t
		}
		if file == "" || desc.MediaType == artifact.MediaTypeArchiveLayer {
			return blobNoun(desc.MediaType)
		}
		if rel, err := filepath.Rel(appDir, file); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
		return file
	}
}

// pullBlobNames names the blobs of the image at desc from its lock: wasm
// layers by component, data layers by the file's path. It also returns how
// many blobs the image has (0 for an index). It reads the manifest and the
// lock from the cache when they are there, else from src; any failure
// leaves the blobs named by their kind (the pull reports it).
func pullBlobNames(ctx context.Context, cache *registry.Cache, src orascontent.Fetcher, desc ocispec.Descriptor) (func(ocispec.Descriptor, string) string, int) {
	names := map[digest.Digest]string{}
	name := func(d ocispec.Descriptor, _ string) string {
		if t := d.Annotations[ocispec.AnnotationTitle]; t != "" {
			return t
		}
		if n, ok := names[d.Digest]; ok {
			return n
		}
		return blobNoun(d.MediaType)
	}
	fetch := func(d ocispec.Descriptor) ([]byte, error) {
		if ok, err := cache.Blobs.Exists(ctx, d); err == nil && ok {
			return orascontent.FetchAll(ctx, cache.Blobs, d)
		}
		return orascontent.FetchAll(ctx, src, d)
	}
	data, err := fetch(desc)
	if err != nil {
		return name, 0
	}
	var m ocispec.Manifest
	if json.Unmarshal(data, &m) != nil || m.Config.MediaType == "" {
		return name, 0 // an index: its manifests are counted as they come
	}
	lockDesc := m.Config
	for _, l := range m.Layers {
		if l.MediaType == artifact.MediaTypeSpinApplication {
			lockDesc = l
		}
	}
	expected := 2 + len(m.Layers)
	if lockDesc.MediaType != artifact.MediaTypeSpinApplication {
		return name, expected
	}
	data, err = fetch(lockDesc)
	var app lock.LockedApp
	if err != nil || json.Unmarshal(data, &app) != nil {
		return name, expected
	}
	for _, c := range app.Components {
		if d := digest.Digest(c.Source.Digest); d != "" && names[d] == "" {
			names[d] = "component " + c.ID
		}
		for _, f := range c.Files {
			if d := digest.Digest(f.Digest); d != "" && names[d] == "" {
				names[d] = strings.TrimPrefix(path.Clean("/"+f.Path), "/")
			}
		}
	}
	return name, expected
}
