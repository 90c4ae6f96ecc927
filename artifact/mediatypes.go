package artifact

import "fmt"

// Media types used by Spin artifacts. The strings are
// exactly the ones Spin writes and reads.
const (
	// MediaTypeSpinApplication is the locked app (spin.lock as compact JSON):
	// the config descriptor in format A, the last layer in format B.
	MediaTypeSpinApplication = "application/vnd.fermyon.spin.application.v1+config"
	// MediaTypeWasmLayer is a component's wasm binary (raw bytes).
	MediaTypeWasmLayer = "application/vnd.wasm.content.layer.v1+wasm"
	// MediaTypeDataLayer is one static file (raw bytes).
	MediaTypeDataLayer = "application/vnd.wasm.content.layer.v1+data"
	// MediaTypeArchiveLayer is a tar+gzip of a component's files; its
	// regular files are addressed by the sha256 of their bytes.
	MediaTypeArchiveLayer = "application/vnd.wasm.content.bundle.v1.tar+gzip"
	// MediaTypeWasm is the single layer of a bare Wasm package (wkg, CNCF
	// Wasm OCI artifact).
	MediaTypeWasm = "application/wasm"
	// MediaTypeWasmConfig is the CNCF Wasm OCI artifact config. Spin never
	// pushes it.
	MediaTypeWasmConfig = "application/vnd.wasm.config.v0+json"

	// MediaTypeImageConfig is the OCI image config (format B's config).
	MediaTypeImageConfig = "application/vnd.oci.image.config.v1+json"
	// MediaTypeDockerImageConfig is the Docker image config.
	MediaTypeDockerImageConfig = "application/vnd.docker.container.image.v1+json"
	// MediaTypeImageManifest is the OCI image manifest.
	MediaTypeImageManifest = "application/vnd.oci.image.manifest.v1+json"
	// MediaTypeImageIndex is the OCI image index.
	MediaTypeImageIndex = "application/vnd.oci.image.index.v1+json"
	// MediaTypeDockerManifest is the Docker schema 2 manifest.
	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	// MediaTypeDockerManifestList is the Docker manifest list.
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	// MediaTypeEmptyJSON is the OCI empty descriptor's media type ("{}").
	MediaTypeEmptyJSON = "application/vnd.oci.empty.v1+json"
)

// LabelLockedAppDigest is the image config label (Spin 2.4+) holding the
// digest of the lock layer.
const LabelLockedAppDigest = "com.fermyon.spin.lockedAppDigest"

// MaxLayers is Spin's MAX_LAYER_COUNT: beyond MaxLayers-1 file and wasm
// layers (one slot is kept for the lock) Spin pushes archive layers.
const MaxLayers = 500

// InlineMaxSize is the largest content (in bytes) Spin inlines in a lock.
const InlineMaxSize = 128

// Layout is the way a Spin application is laid out in an OCI manifest.
type Layout int

const (
	// LayoutA is Spin 0.10–1.5: the config blob is the lock.
	LayoutA Layout = iota + 1
	// LayoutB is Spin 2.0+: an OCI image config (wasm/wasip1) and the lock
	// as the last layer.
	LayoutB
	// LayoutWasmPackage is a bare Wasm package: a single application/wasm
	// layer, run as one HTTP component on route "/...".
	LayoutWasmPackage
)

// String describes the layout for logs and errors.
func (l Layout) String() string {
	switch l {
	case LayoutA:
		return "A (Spin 0.10–1.5: config is the lock)"
	case LayoutB:
		return "B (Spin 2.0+: image config, lock is the last layer)"
	case LayoutWasmPackage:
		return "Wasm package (single application/wasm layer)"
	default:
		return fmt.Sprintf("Layout(%d)", int(l))
	}
}
