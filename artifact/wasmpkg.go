package artifact

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/spinoci/spinoci/lock"
)

// Exports that choose the executor of a Wasm package's core module.
const (
	exportSpinHTTP = "handle-http-request"
	exportWASIMain = "_start"
)

// isWasmPackage tells whether m is a bare Wasm package: a CNCF Wasm config,
// or an empty/absent config with an application/wasm layer, or a single
// application/wasm layer whatever the config.
func isWasmPackage(m ocispec.Manifest) bool {
	if m.Config.MediaType == MediaTypeWasmConfig {
		return true
	}
	hasWasm := false
	for _, l := range m.Layers {
		if l.MediaType == MediaTypeWasm {
			hasWasm = true
		}
	}
	if len(m.Layers) == 1 && hasWasm {
		return true
	}
	emptyConfig := m.Config.Digest == "" || m.Config.MediaType == "" ||
		m.Config.MediaType == MediaTypeEmptyJSON || m.Config.Digest == ocispec.DescriptorEmptyJSON.Digest
	return emptyConfig && hasWasm
}

// loadWasmPackage synthesises the lock of a bare Wasm package: one
// component on one HTTP trigger with route "/...", as Spin 3.6+ does. The
// executor is chosen from the module's exports: "handle-http-request" →
// Spin, else "_start" → WAGI. A component binary gets the Spin executor and
// is left for the engine to refuse with its usual error.
func loadWasmPackage(ctx context.Context, r BlobReader, m ocispec.Manifest) (*lock.LockedApp, error) {
	if len(m.Layers) != 1 {
		return nil, fmt.Errorf("artifact: expected single layer in OCI package, found %d layers", len(m.Layers))
	}
	layer := m.Layers[0]
	if layer.MediaType != MediaTypeWasm {
		return nil, fmt.Errorf("artifact: Wasm package layer %s has media type %q, want %q", layer.Digest, layer.MediaType, MediaTypeWasm)
	}
	info, err := inspectLayer(ctx, r, layer)
	if err != nil {
		return nil, fmt.Errorf("artifact: Wasm package layer %s: %w", layer.Digest, err)
	}
	executor := map[string]string{"type": "spin"}
	if !info.component {
		switch {
		case info.exportsFunc(exportSpinHTTP):
		case info.exportsFunc(exportWASIMain):
			executor = map[string]string{"type": "wagi", "entrypoint": exportWASIMain, "argv": "${SCRIPT_NAME} ${ARGS}"}
		default:
			return nil, fmt.Errorf("artifact: Wasm package module exports neither %q (Spin HTTP) nor %q (WAGI); exports: [%s]",
				exportSpinHTTP, exportWASIMain, strings.Join(info.exportNames(), ", "))
		}
	}

	title := layer.Annotations[ocispec.AnnotationTitle]
	if title == "" {
		title = m.Annotations[ocispec.AnnotationTitle]
	}
	id := sanitizeComponentID(title)
	triggerConfig, err := json.Marshal(map[string]any{"component": id, "route": "/...", "executor": executor})
	if err != nil {
		return nil, fmt.Errorf("artifact: encode trigger config: %w", err)
	}
	name, err := json.Marshal(id)
	if err != nil {
		return nil, fmt.Errorf("artifact: encode app name: %w", err)
	}
	app := lock.LockedApp{
		SpinLockVersion: 0,
		Metadata:        map[string]json.RawMessage{"name": name},
		Triggers: []lock.Trigger{{
			ID:            id + "-http-trigger",
			TriggerType:   "http",
			TriggerConfig: triggerConfig,
		}},
		Components: []lock.Component{{
			ID: id,
			Source: lock.ComponentSource{
				ContentType: MediaTypeWasm,
				ContentRef:  lock.ContentRef{Digest: layer.Digest.String()},
			},
		}},
	}
	// Round-trip through Parse so the synthesised lock is validated like
	// any other.
	data, err := json.Marshal(app)
	if err != nil {
		return nil, fmt.Errorf("artifact: encode synthesised lock: %w", err)
	}
	parsed, err := lock.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("artifact: synthesised lock for Wasm package: %w", err)
	}
	return parsed, nil
}

// sanitizeComponentID turns an image title (often a file name) into a Spin
// component id: lowercase ASCII letters and digits in hyphen-separated
// words, starting with a letter. An empty result gives "main".
func sanitizeComponentID(title string) string {
	base := path.Base(strings.ReplaceAll(title, `\`, "/"))
	if ext := path.Ext(base); strings.EqualFold(ext, ".wasm") {
		base = base[:len(base)-len(ext)]
	}
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(base) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
			continue
		}
		hyphen = true
	}
	id := b.String()
	switch {
	case id == "":
		return "main"
	case id[0] >= '0' && id[0] <= '9':
		return "c-" + id
	}
	return id
}

// inspectLayer reads the header and export section of a wasm layer,
// stopping there. What is read is not verified against the layer digest:
// Materialize does that when it copies the whole layer.
func inspectLayer(ctx context.Context, r BlobReader, desc ocispec.Descriptor) (*wasmInfo, error) {
	rc, err := r.Open(ctx, desc)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	return inspectWasm(rc, desc.Size)
}
