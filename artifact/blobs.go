package artifact

import (
	"context"
	"fmt"
	"io"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/spinoci/spinoci/artifact/appdir"
)

// layerBlobs opens a manifest's content layers by digest through a
// BlobReader. Reads are streamed and verified against the layer size and
// digest.
type layerBlobs struct {
	r      BlobReader
	layers map[digest.Digest]ocispec.Descriptor
}

var _ appdir.Blobs = (*layerBlobs)(nil)

// isContentLayer tells whether a layer media type holds application content
// addressable by digest (wasm, data, a Wasm package module or an archive).
func isContentLayer(mt string) bool {
	switch mt {
	case MediaTypeWasmLayer, MediaTypeDataLayer, MediaTypeWasm, MediaTypeArchiveLayer:
		return true
	}
	return false
}

// newContent indexes m's content layers. Unknown layer types (including
// the lock layer) are ignored; duplicated layers are tolerated.
func newContent(r BlobReader, m ocispec.Manifest) appdir.Content {
	b := &layerBlobs{r: r, layers: make(map[digest.Digest]ocispec.Descriptor)}
	var archives []digest.Digest
	for _, l := range m.Layers {
		if !isContentLayer(l.MediaType) {
			continue
		}
		if _, dup := b.layers[l.Digest]; dup {
			continue
		}
		b.layers[l.Digest] = l
		if l.MediaType == MediaTypeArchiveLayer {
			archives = append(archives, l.Digest)
		}
	}
	return appdir.Content{Blobs: b, Archives: archives}
}

// Open streams the layer with digest d. A digest that is not a content
// layer of the manifest, or a layer missing from the content store, gives an
// error wrapping appdir.ErrBlobNotFound.
func (b *layerBlobs) Open(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("artifact: open blob %q: %w", d, err)
	}
	desc, ok := b.layers[d]
	if !ok {
		return nil, fmt.Errorf("artifact: %s is not a wasm, data or archive layer of the manifest: %w", d, appdir.ErrBlobNotFound)
	}
	rc, err := b.r.Open(ctx, desc)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("artifact: layer %s (%s) is not in the content store: %w: %w", d, desc.MediaType, appdir.ErrBlobNotFound, err)
		}
		return nil, fmt.Errorf("artifact: open layer %s (%s): %w", d, desc.MediaType, err)
	}
	return newVerifyingReader(rc, desc), nil
}
