package artifact

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// component hashes a local component's wasm and walks its file mounts.
func (p *packer) component(c *lock.Component) (*packedComponent, error) {
	if len(c.Dependencies) > 0 {
		return nil, fmt.Errorf("component dependencies are not supported")
	}
	wasmPath, err := appdir.WasmPath(c)
	if err != nil {
		return nil, err
	}
	h, err := p.hash(wasmPath)
	if err != nil {
		return nil, fmt.Errorf("wasm: %w", err)
	}
	pc := &packedComponent{id: c.ID, wasm: h, wasmLayer: fileBlob(MediaTypeWasmLayer, wasmPath, h)}

	mounts, err := appdir.Mounts(c)
	if err != nil {
		return nil, err
	}
	byPath := make(map[string]int)
	add := func(f packedFile) {
		if i, ok := byPath[f.rel]; ok { // a later mount overrides an earlier one
			pc.files[i] = f
			return
		}
		byPath[f.rel] = len(pc.files)
		pc.files = append(pc.files, f)
	}
	for _, m := range mounts {
		files, err := p.walkMount(m)
		if err != nil {
			return nil, fmt.Errorf("files %q → %q: %w", m.HostPath, m.GuestPath, err)
		}
		for _, f := range files {
			add(f)
		}
	}
	for _, f := range pc.files {
		if f.hash.inline == nil {
			pc.dataLayers = append(pc.dataLayers, fileBlob(MediaTypeDataLayer, f.hostPath, f.hash))
		}
	}
	return pc, nil
}

// walkMount lists the regular files of a mount (a single file, or a
// directory walked recursively in lexical order; symlinks and other
// non-regular entries are skipped) with their relative guest paths.
func (p *packer) walkMount(m appdir.Mount) ([]packedFile, error) {
	root, err := filepath.EvalSymlinks(m.HostPath)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	guest := strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(m.GuestPath)), "/")
	var files []packedFile
	addFile := func(rel, hostPath string) error {
		if err := lock.CheckFilePath(rel); err != nil {
			return err
		}
		h, err := p.hash(hostPath)
		if err != nil {
			return err
		}
		files = append(files, packedFile{rel: rel, hostPath: hostPath, hash: h})
		return nil
	}
	if !info.IsDir() {
		if !info.Mode().IsRegular() {
			return nil, fmt.Errorf("not a regular file or directory")
		}
		return files, addFile(guest, root)
	}
	err = filepath.WalkDir(root, func(hostPath string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, hostPath)
		if err != nil {
			return err
		}
		return addFile(path.Join(guest, filepath.ToSlash(rel)), hostPath)
	})
	return files, err
}

// hash digests the file at hostPath (once per path), keeping its bytes
// when they are few enough to inline.
func (p *packer) hash(hostPath string) (fileHash, error) {
	if h, ok := p.hashes[hostPath]; ok {
		return h, nil
	}
	f, err := os.Open(hostPath)
	if err != nil {
		return fileHash{}, err
	}
	defer f.Close()
	d := sha256.New()
	var head bytes.Buffer
	n, err := io.Copy(io.MultiWriter(d, &limitedBuffer{buf: &head, max: InlineMaxSize + 1}), f)
	if err != nil {
		return fileHash{}, fmt.Errorf("read %s: %w", hostPath, err)
	}
	h := fileHash{digest: digest.NewDigest(digest.SHA256, d), size: n}
	if n <= InlineMaxSize {
		h.inline = append([]byte{}, head.Bytes()...)
	}
	p.hashes[hostPath] = h
	return h, nil
}

// limitedBuffer keeps the first max bytes written to it and discards the
// rest without error.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(b []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(b[:min(room, len(b))])
	}
	return len(b), nil
}

// archive writes the component's files as a tar+gzip in a temporary file
// and sets its archive layer. The archive is reproducible: entries in lock
// order, zero times and owners, mode 0644, no gzip name or time.
func (p *packer) archive(c *packedComponent) (err error) {
	if len(c.files) == 0 {
		return nil
	}
	dir, err := os.MkdirTemp("", "spinoci-pack-")
	if err != nil {
		return fmt.Errorf("artifact: pack: %w", err)
	}
	p.tempDirs = append(p.tempDirs, dir)
	name := filepath.Join(dir, "files.tar.gz")
	out, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("artifact: pack: %w", err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("artifact: pack: archive of component %q: %w", c.id, cerr)
		}
	}()
	d := sha256.New()
	counter := &countWriter{}
	gz := gzip.NewWriter(io.MultiWriter(out, d, counter))
	tw := tar.NewWriter(gz)
	for _, f := range c.files {
		if err := addTarFile(tw, f); err != nil {
			return fmt.Errorf("artifact: pack: archive of component %q: %w", c.id, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("artifact: pack: archive of component %q: %w", c.id, err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("artifact: pack: archive of component %q: %w", c.id, err)
	}
	b := fileBlob(MediaTypeArchiveLayer, name, fileHash{digest: digest.NewDigest(digest.SHA256, d), size: counter.n})
	c.archiveLayer = &b
	return nil
}

func addTarFile(tw *tar.Writer, f packedFile) error {
	src, err := os.Open(f.hostPath)
	if err != nil {
		return err
	}
	defer src.Close()
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     f.rel,
		Mode:     0o644,
		Size:     f.hash.size,
		ModTime:  time.Unix(0, 0),
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.CopyN(tw, src, f.hash.size); err != nil {
		return fmt.Errorf("%s: %w (did it change while packing?)", f.hostPath, err)
	}
	return nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) {
	c.n += int64(len(b))
	return len(b), nil
}

// assembleLayers lists, component by component, the wasm layer and the
// layers extra returns, each distinct (media type, digest) once, in order of
// first appearance.
func assembleLayers(comps []*packedComponent, extra func(*packedComponent) []blob) []blob {
	type key struct {
		mediaType string
		digest    digest.Digest
	}
	seen := make(map[key]bool)
	var out []blob
	add := func(b blob) {
		k := key{b.desc.MediaType, b.desc.Digest}
		if !seen[k] {
			seen[k] = true
			out = append(out, b)
		}
	}
	for _, c := range comps {
		add(c.wasmLayer)
		for _, b := range extra(c) {
			add(b)
		}
	}
	return out
}

// copyLock deep-copies a lock through JSON.
func copyLock(app *lock.LockedApp) (*lock.LockedApp, error) {
	data, err := json.Marshal(app)
	if err != nil {
		return nil, err
	}
	var out lock.LockedApp
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// encodeJSON is compact JSON without HTML escaping (as serde_json writes).
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// imageConfigJSON is the format B config Spin 2.4+ writes, byte for byte:
// {"architecture":"wasm","os":"wasip1","config":{"Labels":{"com.fermyon.spin.lockedAppDigest":"sha256:…"}},"rootfs":{"type":"layers","diff_ids":[]}}
func imageConfigJSON(lockDigest digest.Digest) ([]byte, error) {
	type labels struct {
		Labels map[string]string `json:"Labels"`
	}
	type rootfs struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	}
	return encodeJSON(struct {
		Architecture string `json:"architecture"`
		OS           string `json:"os"`
		Config       labels `json:"config"`
		RootFS       rootfs `json:"rootfs"`
	}{
		Architecture: "wasm",
		OS:           "wasip1",
		Config:       labels{Labels: map[string]string{LabelLockedAppDigest: lockDigest.String()}},
		RootFS:       rootfs{Type: "layers", DiffIDs: []string{}},
	})
}
