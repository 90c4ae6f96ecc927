package artifact

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Placeholders in a fuzzed manifest (and config), replaced with the descriptors of the
// fuzzed config and layer, so that mutations keep reaching past digest
// checks.
const (
	fuzzConfigDigest = "CONFIG_DIGEST"
	fuzzConfigSize   = "CONFIG_SIZE"
	fuzzLayerDigest  = "LAYER_DIGEST"
	fuzzLayerSize    = "LAYER_SIZE"
)

// FuzzLoad: Load never panics on any manifest, config and lock layer; it
// returns an error or an artifact with a lock whose layout matches what it
// found.
func FuzzLoad(f *testing.F) {
	lockJSON := `{"spin_lock_version":1,"triggers":[{"id":"t","trigger_type":"http","trigger_config":{"route":"/...","component":"c"}}],"components":[{"id":"c","source":{"content":{"digest":"sha256:aaaa"}}}]}`
	formatB := `{"schemaVersion":2,"mediaType":"` + MediaTypeImageManifest + `",` +
		`"config":{"mediaType":"` + MediaTypeImageConfig + `","digest":"CONFIG_DIGEST","size":CONFIG_SIZE},` +
		`"layers":[{"mediaType":"` + MediaTypeSpinApplication + `","digest":"LAYER_DIGEST","size":LAYER_SIZE}]}`
	formatA := `{"schemaVersion":2,"config":{"mediaType":"` + MediaTypeSpinApplication + `","digest":"CONFIG_DIGEST","size":CONFIG_SIZE},"layers":[]}`
	wasmPkg := `{"schemaVersion":2,"config":{"mediaType":"` + MediaTypeWasmConfig + `","digest":"CONFIG_DIGEST","size":CONFIG_SIZE},` +
		`"layers":[{"mediaType":"` + MediaTypeWasm + `","digest":"LAYER_DIGEST","size":LAYER_SIZE}]}`
	// A module exporting only _start: a WAGI Wasm package.
	wagiModule := []byte("\x00asm\x01\x00\x00\x00" +
		"\x01\x04\x01\x60\x00\x00" + "\x03\x02\x01\x00" +
		"\x07\x0a\x01\x06_start\x00\x00" + "\x0a\x04\x01\x02\x00\x0b")
	f.Add([]byte(formatB), []byte(`{"created":"2024-01-01T00:00:00Z","architecture":"wasm","os":"wasip1","layerDigests":["LAYER_DIGEST"],"component":{"layerDigests":[]}}`), []byte(lockJSON))
	f.Add([]byte(formatA), []byte(lockJSON), []byte{})
	f.Add([]byte(wasmPkg), []byte(`{}`), wagiModule)
	f.Add([]byte(`{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"CONFIG_DIGEST","size":CONFIG_SIZE},"layers":[]}`), []byte(`{}`), []byte{})
	f.Add([]byte(`{"manifests":[]}`), []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, manifest, config, layer []byte) {
		lyr := digest.FromBytes(layer)
		// The image config may name the lock layer (lockedAppDigest).
		config = bytes.ReplaceAll(config, []byte(fuzzLayerDigest), []byte(lyr))
		cfg := digest.FromBytes(config)
		manifest = bytes.ReplaceAll(manifest, []byte(fuzzConfigDigest), []byte(cfg))
		manifest = bytes.ReplaceAll(manifest, []byte(fuzzConfigSize), []byte(strconv.Itoa(len(config))))
		manifest = bytes.ReplaceAll(manifest, []byte(fuzzLayerDigest), []byte(lyr))
		manifest = bytes.ReplaceAll(manifest, []byte(fuzzLayerSize), []byte(strconv.Itoa(len(layer))))
		s := newMemStore()
		for _, b := range [][]byte{manifest, config, layer} {
			s.blobs[digest.FromBytes(b)] = b
		}
		target := ocispec.Descriptor{MediaType: MediaTypeImageManifest, Digest: digest.FromBytes(manifest), Size: int64(len(manifest))}
		a, err := Load(context.Background(), s, target)
		if err != nil {
			if a != nil {
				t.Fatalf("artifact with error %v", err)
			}
			return
		}
		if a.App == nil {
			t.Fatal("artifact without a lock")
		}
		if err := a.App.Validate(); err != nil {
			t.Fatalf("loaded lock does not validate: %v", err)
		}
		if a.Layout != LayoutA && a.Layout != LayoutB && a.Layout != LayoutWasmPackage {
			t.Fatalf("unknown layout %v", a.Layout)
		}
	})
}
