package harness

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/lock"
)

// Ref is the reference ctr uses for repoTag ("repo/name:tag") on a registry
// host ("127.0.0.1:port").
func Ref(registryHost, repoTag string) string { return registryHost + "/" + repoTag }

// Push packs a local lock with artifact.Pack (as `spin registry push` would)
// into memory, then copies it to the plain-HTTP registry at registryHost and
// tags it. It returns the manifest descriptor.
func Push(ctx context.Context, registryHost, repoTag string, app *lock.LockedApp, opts artifact.PackOptions) (ocispec.Descriptor, error) {
	mem := memory.New()
	desc, err := artifact.Pack(ctx, app, mem, opts)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("pack %s: %w", repoTag, err)
	}
	return desc, copyToRegistry(ctx, mem, desc, registryHost, repoTag)
}

func copyToRegistry(ctx context.Context, src content.ReadOnlyStorage, root ocispec.Descriptor, registryHost, repoTag string) error {
	repoName, tag, ok := splitRepoTag(repoTag)
	if !ok {
		return fmt.Errorf("reference %q: want repo/name:tag", repoTag)
	}
	repo, err := remote.NewRepository(registryHost + "/" + repoName)
	if err != nil {
		return err
	}
	repo.PlainHTTP = true
	if err := oras.CopyGraph(ctx, src, repo, root, oras.DefaultCopyGraphOptions); err != nil {
		return fmt.Errorf("push %s to %s: %w", repoTag, registryHost, err)
	}
	if err := repo.Tag(ctx, root, tag); err != nil {
		return fmt.Errorf("tag %s on %s: %w", repoTag, registryHost, err)
	}
	return nil
}

func splitRepoTag(s string) (repo, tag string, ok bool) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || strings.Contains(s[i:], "/") {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// Blob is a blob with its media type, for hand-built manifests.
type Blob struct {
	MediaType string
	Data      []byte
}

// Desc is the blob's descriptor.
func (b Blob) Desc() ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: b.MediaType, Digest: digest.FromBytes(b.Data), Size: int64(len(b.Data))}
}

// PushManifest pushes the blobs and an OCI image manifest made of config and
// layers, tagged repoTag, and returns the manifest descriptor.
func PushManifest(ctx context.Context, registryHost, repoTag string, config Blob, layers []Blob) (ocispec.Descriptor, error) {
	mem := memory.New()
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    config.Desc(),
		Layers:    []ocispec.Descriptor{},
	}
	for _, b := range layers {
		m.Layers = append(m.Layers, b.Desc())
	}
	for _, b := range append([]Blob{config}, layers...) {
		d := b.Desc()
		if ok, _ := mem.Exists(ctx, d); ok {
			continue
		}
		if err := mem.Push(ctx, d, bytes.NewReader(b.Data)); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	mblob := Blob{MediaType: ocispec.MediaTypeImageManifest, Data: mb}
	mdesc := mblob.Desc()
	if err := mem.Push(ctx, mdesc, bytes.NewReader(mb)); err != nil {
		return ocispec.Descriptor{}, err
	}
	return mdesc, copyToRegistry(ctx, mem, mdesc, registryHost, repoTag)
}

// TarFile is one regular file of a hand-built Linux image layer.
type TarFile struct {
	Name string // path in the image, without a leading "/"
	Mode int64
	Data []byte
}

// PushLinuxImage pushes an ordinary linux/amd64 container image: an OCI image
// config and one tar+gzip layer holding files, with cmd as its command.
func PushLinuxImage(ctx context.Context, registryHost, repoTag string, files []TarFile, cmd []string) (ocispec.Descriptor, error) {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	modTime := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range files {
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		if err := tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg, Name: f.Name, Mode: mode, Size: int64(len(f.Data)), ModTime: modTime,
		}); err != nil {
			return ocispec.Descriptor{}, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return ocispec.Descriptor{}, err
		}
	}
	if err := tw.Close(); err != nil {
		return ocispec.Descriptor{}, err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(tarBuf.Bytes()); err != nil {
		return ocispec.Descriptor{}, err
	}
	if err := zw.Close(); err != nil {
		return ocispec.Descriptor{}, err
	}
	cfg := ocispec.Image{
		Platform: ocispec.Platform{Architecture: "amd64", OS: "linux"},
		Config:   ocispec.ImageConfig{Cmd: cmd, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(tarBuf.Bytes())}},
	}
	cb, err := json.Marshal(cfg)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return PushManifest(ctx, registryHost, repoTag,
		Blob{MediaType: ocispec.MediaTypeImageConfig, Data: cb},
		[]Blob{{MediaType: ocispec.MediaTypeImageLayerGzip, Data: gz.Bytes()}})
}

// PushSpinB pushes a hand-built format-B Spin artifact: an OCI image config
// (wasm/wasip1, labelled with the lock digest), the given content layers,
// then lockJSON as the last layer. It lets tests push locks that Pack would
// never produce.
func PushSpinB(ctx context.Context, registryHost, repoTag string, lockJSON []byte, layers []Blob) (ocispec.Descriptor, error) {
	lockBlob := Blob{MediaType: artifact.MediaTypeSpinApplication, Data: lockJSON}
	cfg := map[string]any{
		"architecture": "wasm",
		"os":           "wasip1",
		"config":       map[string]any{"Labels": map[string]string{artifact.LabelLockedAppDigest: lockBlob.Desc().Digest.String()}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{}},
	}
	cb, err := json.Marshal(cfg)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return PushManifest(ctx, registryHost, repoTag,
		Blob{MediaType: artifact.MediaTypeImageConfig, Data: cb},
		append(append([]Blob{}, layers...), lockBlob))
}

// WasmLayer is a wasm content layer.
func WasmLayer(wasm []byte) Blob { return Blob{MediaType: artifact.MediaTypeWasmLayer, Data: wasm} }

// DataLayer is a static-file content layer.
func DataLayer(data []byte) Blob { return Blob{MediaType: artifact.MediaTypeDataLayer, Data: data} }

// ComponentBinary returns the smallest WebAssembly component: the preamble
// "\0asm" with version 0x0d and layer 1, which is what wasmtime.Wat2Wasm
// makes of "(component)" (checked by this package's tests).
func ComponentBinary() []byte { return []byte{0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00} }

// PushedLock is a lock in its pushed form (sources by digest), for
// PushSpinB.
type PushedLock struct {
	SpinLockVersion int               `json:"spin_lock_version"`
	MustUnderstand  []string          `json:"must_understand,omitempty"`
	Metadata        map[string]any    `json:"metadata,omitempty"`
	Triggers        []json.RawMessage `json:"triggers"`
	Components      []map[string]any  `json:"components"`
}

// SingleComponentLock returns the pushed lock of an app with one component
// (id "app", source wasmDigest, executor "spin" or "wagi") on route "/...",
// with the given files ({"digest": …, "path": …} entries).
func SingleComponentLock(wasmDigest digest.Digest, executor string, files []map[string]string) PushedLock {
	trigger, _ := json.Marshal(map[string]any{
		"id":           "trigger-app",
		"trigger_type": "http",
		"trigger_config": map[string]any{
			"component": "app",
			"route":     "/...",
			"executor":  map[string]string{"type": executor},
		},
	})
	comp := map[string]any{
		"id":     "app",
		"source": map[string]string{"content_type": "application/wasm", "digest": wasmDigest.String()},
	}
	if len(files) > 0 {
		comp["files"] = files
	}
	return PushedLock{
		Metadata:   map[string]any{"name": "e2e-bad", "version": "0.1.0", "trigger": map[string]string{"type": "http", "base": "/"}},
		Triggers:   []json.RawMessage{trigger},
		Components: []map[string]any{comp},
	}
}

// JSON encodes the lock.
func (l PushedLock) JSON() []byte {
	b, err := json.Marshal(l)
	if err != nil {
		panic(err) // only plain maps and slices of strings
	}
	return b
}
