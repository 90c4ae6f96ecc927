package artifact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// Artifact is a Spin application read from an OCI image.
type Artifact struct {
	// Layout is the way the application is laid out in the manifest.
	Layout Layout
	// Manifest is the image manifest (after index resolution).
	Manifest ocispec.Manifest
	// ManifestDesc describes Manifest; its MediaType is filled in when the
	// target or index entry left it empty.
	ManifestDesc ocispec.Descriptor
	// LockDesc describes the blob the lock was read from: the config in
	// format A, the lock layer in format B. It is zero for a Wasm package,
	// whose lock is synthesised.
	LockDesc ocispec.Descriptor
	// App is the parsed and validated lock. Its sources and files refer to
	// content by digest (or inline).
	App *lock.LockedApp
	// Content gives access to the manifest's wasm, data and archive layers
	// by digest.
	Content appdir.Content
}

// maxIndexDepth bounds nested indexes (an index pointing at an index).
const maxIndexDepth = 2

// Load reads the image at target from r, resolving an index to its wasm
// manifest, recognises the Spin layout, and reads, verifies and parses the
// lock. Layers other than the lock are not read (except the header and
// exports of a Wasm package's module); they are opened on demand through
// the returned Content.
func Load(ctx context.Context, r BlobReader, target ocispec.Descriptor) (*Artifact, error) {
	mdesc, mdata, err := resolveManifest(ctx, r, target)
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mdata, &m); err != nil {
		return nil, fmt.Errorf("artifact: parse manifest %s: %w", mdesc.Digest, err)
	}
	a := &Artifact{Manifest: m, ManifestDesc: mdesc}

	switch {
	case m.Config.MediaType == MediaTypeSpinApplication:
		a.Layout = LayoutA
		a.LockDesc = m.Config
	case lockLayerIndex(m) >= 0:
		a.Layout = LayoutB
		a.LockDesc = m.Layers[lockLayerIndex(m)]
		if err := checkImageConfig(ctx, r, m.Config, a.LockDesc); err != nil {
			return nil, err
		}
	case isWasmPackage(m):
		a.Layout = LayoutWasmPackage
		app, err := loadWasmPackage(ctx, r, m)
		if err != nil {
			return nil, err
		}
		a.App = app
	default:
		return nil, notSpinError(ctx, r, m)
	}

	if a.App == nil {
		data, err := readBlob(ctx, r, a.LockDesc, maxLockSize)
		if err != nil {
			return nil, fmt.Errorf("artifact: read Spin lock (format %s): %w", a.Layout, err)
		}
		app, err := lock.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("artifact: Spin lock %s: %w", a.LockDesc.Digest, err)
		}
		a.App = app
	}
	a.Content = newContent(r, m)
	return a, nil
}

// ErrNotSpinApp is returned by Load for an image that is not a Spin
// application in any known layout (e.g. an ordinary container image).
var ErrNotSpinApp = errors.New("not a Spin application")

// resolveManifest reads target and, while it is an index, follows the entry
// selectManifest picks. It returns the manifest descriptor and bytes.
func resolveManifest(ctx context.Context, r BlobReader, target ocispec.Descriptor) (ocispec.Descriptor, []byte, error) {
	desc := target
	for depth := 0; ; depth++ {
		data, err := readBlob(ctx, r, desc, maxManifestSize)
		if err != nil {
			return desc, nil, fmt.Errorf("artifact: read manifest %s: %w", desc.Digest, err)
		}
		var probe struct {
			MediaType string          `json:"mediaType"`
			Manifests json.RawMessage `json:"manifests"`
			Config    json.RawMessage `json:"config"`
		}
		if err := json.Unmarshal(data, &probe); err != nil {
			return desc, nil, fmt.Errorf("artifact: parse manifest %s: %w", desc.Digest, err)
		}
		if !isIndex(desc.MediaType, probe.MediaType, probe.Manifests != nil, probe.Config != nil) {
			if desc.MediaType == "" {
				desc.MediaType = probe.MediaType
				if desc.MediaType == "" {
					desc.MediaType = MediaTypeImageManifest
				}
			}
			return desc, data, nil
		}
		if depth >= maxIndexDepth {
			return desc, nil, fmt.Errorf("artifact: image index %s: indexes nested more than %d deep", desc.Digest, maxIndexDepth)
		}
		var idx ocispec.Index
		if err := json.Unmarshal(data, &idx); err != nil {
			return desc, nil, fmt.Errorf("artifact: parse image index %s: %w", desc.Digest, err)
		}
		child, err := selectManifest(idx)
		if err != nil {
			return desc, nil, fmt.Errorf("artifact: image index %s: %w", desc.Digest, err)
		}
		desc = child
	}
}

// isIndex tells an index from a manifest. The body's mediaType wins; Spin
// omits it, so the shape (manifests without config, or config without
// manifests) comes next, and the descriptor's media type last.
func isIndex(descType, bodyType string, hasManifests, hasConfig bool) bool {
	switch {
	case bodyType != "":
		return bodyType == MediaTypeImageIndex || bodyType == MediaTypeDockerManifestList
	case hasManifests != hasConfig:
		return hasManifests
	default:
		return descType == MediaTypeImageIndex || descType == MediaTypeDockerManifestList
	}
}

// wasmOSRank orders the OS values accepted for a wasm platform; 0 means not
// accepted. A core-module runtime prefers wasip1.
func wasmOSRank(os string) int {
	switch strings.ToLower(os) {
	case "wasip1":
		return 3
	case "wasi":
		return 2
	case "wasip2":
		return 1
	default:
		return 0
	}
}

// selectManifest picks the index entry whose platform is wasm (wasip1, wasi
// or wasip2; architecture and OS compared case-insensitively), else the only
// entry, else fails naming the platforms found.
func selectManifest(idx ocispec.Index) (ocispec.Descriptor, error) {
	best, bestRank := -1, 0
	for i, d := range idx.Manifests {
		if d.Platform == nil || !strings.EqualFold(d.Platform.Architecture, "wasm") {
			continue
		}
		if r := wasmOSRank(d.Platform.OS); r > bestRank {
			best, bestRank = i, r
		}
	}
	switch {
	case best >= 0:
		return idx.Manifests[best], nil
	case len(idx.Manifests) == 1:
		return idx.Manifests[0], nil
	case len(idx.Manifests) == 0:
		return ocispec.Descriptor{}, fmt.Errorf("index lists no manifests")
	}
	platforms := make([]string, 0, len(idx.Manifests))
	for _, d := range idx.Manifests {
		platforms = append(platforms, platformString(d.Platform))
	}
	return ocispec.Descriptor{}, fmt.Errorf("no wasm manifest (architecture wasm, os wasip1/wasi/wasip2) among %d entries; platforms found: [%s]",
		len(idx.Manifests), strings.Join(platforms, ", "))
}

func platformString(p *ocispec.Platform) string {
	if p == nil {
		return "(no platform)"
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// lockLayerIndex returns the index of the last layer holding a Spin lock,
// or -1 (Spin's puller lets the last one win).
func lockLayerIndex(m ocispec.Manifest) int {
	for i := len(m.Layers) - 1; i >= 0; i-- {
		if m.Layers[i].MediaType == MediaTypeSpinApplication {
			return i
		}
	}
	return -1
}

// imageConfig is the part of an OCI image config the format B check reads.
type imageConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Config       struct {
		Labels map[string]string `json:"Labels"`
	} `json:"config"`
}

func isImageConfigType(mt string) bool {
	return mt == MediaTypeImageConfig || mt == MediaTypeDockerImageConfig
}

// checkImageConfig verifies that a format B config is a wasm/wasip1 image
// config and that its lockedAppDigest label, if any, names the lock layer.
func checkImageConfig(ctx context.Context, r BlobReader, cfgDesc, lockDesc ocispec.Descriptor) error {
	if !isImageConfigType(cfgDesc.MediaType) {
		return fmt.Errorf("artifact: Spin lock layer found, but the config media type is %q, not %q", cfgDesc.MediaType, MediaTypeImageConfig)
	}
	data, err := readBlob(ctx, r, cfgDesc, maxManifestSize)
	if err != nil {
		return fmt.Errorf("artifact: read image config: %w", err)
	}
	var cfg imageConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("artifact: parse image config %s: %w", cfgDesc.Digest, err)
	}
	if !strings.EqualFold(cfg.Architecture, "wasm") || !strings.EqualFold(cfg.OS, "wasip1") {
		return fmt.Errorf("artifact: Spin lock layer found, but the image config is for os %q, architecture %q (want os \"wasip1\", architecture \"wasm\")", cfg.OS, cfg.Architecture)
	}
	if label, ok := cfg.Config.Labels[LabelLockedAppDigest]; ok && digest.Digest(label) != lockDesc.Digest {
		return fmt.Errorf("artifact: image config label %s is %q but the lock layer is %s", LabelLockedAppDigest, label, lockDesc.Digest)
	}
	return nil
}

// notSpinError describes an image that is not a Spin application: its config
// media type (with os and architecture when it is an image config) and its
// layer media types.
func notSpinError(ctx context.Context, r BlobReader, m ocispec.Manifest) error {
	cfg := fmt.Sprintf("%q", m.Config.MediaType)
	if isImageConfigType(m.Config.MediaType) {
		if data, err := readBlob(ctx, r, m.Config, maxManifestSize); err == nil {
			var ic imageConfig
			if json.Unmarshal(data, &ic) == nil {
				cfg += fmt.Sprintf(" (os %q, architecture %q)", ic.OS, ic.Architecture)
			}
		}
	}
	types := make([]string, 0, len(m.Layers))
	for _, l := range m.Layers {
		types = append(types, l.MediaType)
	}
	return fmt.Errorf("artifact: %w: config media type %s, layers [%s]", ErrNotSpinApp, cfg, strings.Join(types, ", "))
}
