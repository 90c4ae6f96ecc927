package artifact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"github.com/spinoci/spinoci/lock"
)

// PackOptions tunes Pack.
type PackOptions struct {
	// Format is LayoutB (the default when zero, what Spin 2.0+ pushes) or
	// LayoutA (Spin 0.10–1.5: the config blob is the lock).
	Format Layout
	// ArchiveLayers pushes each component's files as one tar+gzip archive
	// layer (Spin's SPIN_OCI_ARCHIVE_LAYERS). Archive mode is also chosen
	// when per-file layers would exceed MaxLayers-1.
	ArchiveLayers bool
	// Annotations are added to the manifest; they win over the annotations
	// inferred from the app metadata (title, version, description, authors,
	// created).
	Annotations map[string]string
	// Created is the org.opencontainers.image.created time; zero means now.
	Created time.Time
}

// Pack builds, from a local lock (component sources and files are file://
// URIs), the artifact `spin registry push` produces, pushes its blobs, config
// and manifest to dst, and returns the manifest descriptor (the caller tags
// it). Wasm, data and archive layers are streamed from disk.
//
// Format B (default): wasm layers (one per distinct wasm), per-file data
// layers for files larger than InlineMaxSize (smaller ones are inlined in
// the lock), or one archive layer per component with files, then the lock as
// the last layer, with an OCI image config (wasm/wasip1) labelled with the
// lock digest. Layers are listed component by component, each distinct layer
// once. Format A: the lock is the config and there is no lock layer.
func Pack(ctx context.Context, app *lock.LockedApp, dst content.Pusher, opts PackOptions) (ocispec.Descriptor, error) {
	format := opts.Format
	if format == 0 {
		format = LayoutB
	}
	if format != LayoutA && format != LayoutB {
		return ocispec.Descriptor{}, fmt.Errorf("artifact: pack: unsupported format %s", format)
	}
	p := &packer{hashes: make(map[string]fileHash)}
	defer p.cleanup()

	pushed, comps, err := p.prepare(ctx, app)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := pushed.Validate(); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("artifact: pack: %w", err)
	}

	simple := assembleLayers(comps, func(c *packedComponent) []blob { return c.dataLayers })
	layers := simple
	if opts.ArchiveLayers || len(simple) > MaxLayers-1 {
		for _, c := range comps {
			if err := p.archive(c); err != nil {
				return ocispec.Descriptor{}, err
			}
		}
		layers = assembleLayers(comps, func(c *packedComponent) []blob {
			if c.archiveLayer == nil {
				return nil
			}
			return []blob{*c.archiveLayer}
		})
	}

	lockData, err := encodeJSON(pushed)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("artifact: pack: encode lock: %w", err)
	}
	var cfg blob
	switch format {
	case LayoutA:
		cfg = bytesBlob(MediaTypeSpinApplication, lockData)
	case LayoutB:
		lockLayer := bytesBlob(MediaTypeSpinApplication, lockData)
		layers = append(layers, lockLayer)
		cfgData, err := imageConfigJSON(lockLayer.desc.Digest)
		if err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("artifact: pack: encode image config: %w", err)
		}
		cfg = bytesBlob(MediaTypeImageConfig, cfgData)
	}

	manifest := ocispec.Manifest{
		Versioned:   specs.Versioned{SchemaVersion: 2},
		MediaType:   MediaTypeImageManifest,
		Config:      cfg.desc,
		Layers:      make([]ocispec.Descriptor, 0, len(layers)),
		Annotations: manifestAnnotations(app, opts),
	}
	for _, l := range layers {
		manifest.Layers = append(manifest.Layers, l.desc)
	}
	mdata, err := json.Marshal(manifest)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("artifact: pack: encode manifest: %w", err)
	}
	mblob := bytesBlob(MediaTypeImageManifest, mdata)

	done := make(map[digest.Digest]bool)
	for _, b := range append(append(layers, cfg), mblob) {
		if done[b.desc.Digest] {
			continue
		}
		if err := pushBlob(ctx, dst, b); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("artifact: pack: push %s %s: %w", b.desc.MediaType, b.desc.Digest, err)
		}
		done[b.desc.Digest] = true
	}
	return mblob.desc, nil
}

// blob is content to push: its descriptor and a way to (re)open it.
type blob struct {
	desc ocispec.Descriptor
	open func() (io.ReadCloser, error)
}

func bytesBlob(mediaType string, data []byte) blob {
	return blob{
		desc: ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))},
		open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
	}
}

func fileBlob(mediaType, hostPath string, h fileHash) blob {
	return blob{
		desc: ocispec.Descriptor{MediaType: mediaType, Digest: h.digest, Size: h.size},
		open: func() (io.ReadCloser, error) { return os.Open(hostPath) },
	}
}

// existsChecker is implemented by oras targets (memory, OCI layout,
// registry repositories); Pack uses it to skip blobs already there.
type existsChecker interface {
	Exists(ctx context.Context, target ocispec.Descriptor) (bool, error)
}

func pushBlob(ctx context.Context, dst content.Pusher, b blob) error {
	if ec, ok := dst.(existsChecker); ok {
		if exists, err := ec.Exists(ctx, b.desc); err == nil && exists {
			return nil
		}
	}
	rc, err := b.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := dst.Push(ctx, b.desc, rc); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return err
	}
	return nil
}

// packedComponent is one component's layers.
type packedComponent struct {
	id           string
	wasm         fileHash
	wasmLayer    blob
	dataLayers   []blob       // per-file layers of files not inlined
	files        []packedFile // every regular file, by guest path
	archiveLayer *blob        // set in archive mode when files is not empty
}

// packedFile is a regular file of a component, at its relative guest path.
type packedFile struct {
	rel      string // '/'-separated, no leading '/'
	hostPath string
	hash     fileHash
}

// fileHash is the digest and size of a file, and its bytes when it is small
// enough to be inlined.
type fileHash struct {
	digest digest.Digest
	size   int64
	inline []byte // nil unless size <= InlineMaxSize
}

type packer struct {
	hashes   map[string]fileHash // by host path
	tempDirs []string
}

func (p *packer) cleanup() {
	for _, d := range p.tempDirs {
		os.RemoveAll(d)
	}
}

// prepare hashes every wasm and file of app and returns the lock to push
// (origin removed, content by digest and inline bytes) and the components'
// layers.
func (p *packer) prepare(ctx context.Context, app *lock.LockedApp) (*lock.LockedApp, []*packedComponent, error) {
	pushed, err := copyLock(app)
	if err != nil {
		return nil, nil, fmt.Errorf("artifact: pack: copy lock: %w", err)
	}
	delete(pushed.Metadata, "origin")
	if len(pushed.Metadata) == 0 {
		pushed.Metadata = nil
	}
	comps := make([]*packedComponent, 0, len(app.Components))
	for i := range pushed.Components {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("artifact: pack: %w", err)
		}
		c := &pushed.Components[i]
		pc, err := p.component(&app.Components[i])
		if err != nil {
			return nil, nil, fmt.Errorf("artifact: pack: component %q: %w", c.ID, err)
		}
		ct := c.Source.ContentType
		if ct == "" {
			ct = MediaTypeWasm
		}
		c.Source = lock.ComponentSource{ContentType: ct, ContentRef: contentRef(pc.wasm)}
		c.Files = nil
		for _, f := range pc.files {
			c.Files = append(c.Files, lock.ContentPath{ContentRef: contentRef(f.hash), Path: f.rel})
		}
		comps = append(comps, pc)
	}
	return pushed, comps, nil
}

func contentRef(h fileHash) lock.ContentRef {
	ref := lock.ContentRef{Digest: h.digest.String()}
	if h.inline != nil {
		s := lock.EncodeInline(h.inline)
		ref.Inline = &s
	}
	return ref
}

// manifestAnnotations infers Spin's default manifest annotations (v2.7+)
// from the app metadata, then applies opts.Annotations, which win.
func manifestAnnotations(app *lock.LockedApp, opts PackOptions) map[string]string {
	ann := make(map[string]string)
	str := func(key string) string {
		var s string
		if raw, ok := app.Metadata[key]; ok && json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	if name := str("name"); name != "" {
		ann[ocispec.AnnotationTitle] = name
	}
	if version := str("version"); version != "" {
		ann[ocispec.AnnotationVersion] = version
	}
	if desc := str("description"); desc != "" {
		ann[ocispec.AnnotationDescription] = desc
	}
	var authors []string
	if raw, ok := app.Metadata["authors"]; ok && json.Unmarshal(raw, &authors) == nil && len(authors) > 0 {
		ann[ocispec.AnnotationAuthors] = strings.Join(authors, ", ")
	}
	created := opts.Created
	if created.IsZero() {
		created = time.Now()
	}
	ann[ocispec.AnnotationCreated] = created.Format(time.RFC3339Nano)
	for k, v := range opts.Annotations {
		ann[k] = v
	}
	return ann
}
