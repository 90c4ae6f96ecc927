package appdir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/containerd/log"

	// go-digest needs the hash implementations registered.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/lock"
)

// Layout of a materialised application directory.
const (
	LockFileName = "spin.lock"
	WasmDirName  = "wasm"
	FilesDirName = "files"
	// scratchDirName holds unpacked archive files while building; it is
	// removed before the build directory is renamed into place.
	scratchDirName = ".archives"
)

// Materialize writes the application described by app (a lock whose content
// is inline or addressed by digest, as pushed to a registry) into dir and
// returns it as an App whose lock is the matching local lock, also written
// to dir/spin.lock:
//
//	dir/spin.lock                  local lock (pretty-printed JSON)
//	dir/wasm/<hex>.wasm            each distinct component (and dependency) source
//	dir/files/<component-id>/<path> each files entry
//
// In the local lock, component sources are file://<dir>/wasm/<hex>.wasm and a
// component with files has files [{"source":"file://<dir>/files/<id>","path":"/"}].
// dir is made absolute; it must not exist (the error then wraps fs.ErrExist).
// Its parent is created if needed.
//
// Digests are resolved from content.Blobs, then from regular files inside
// content.Archives. Every byte written is verified against its digest. With
// content.Store set, every file is a read-only hard link to the store's
// entry for its digest, written (and verified) only when the store lacks
// it; on another filesystem than the store, files are copied. The
// tree is built in a temporary sibling directory and renamed into place, so
// on error nothing is left behind.
func Materialize(ctx context.Context, app *lock.LockedApp, content Content, dir string) (*App, error) {
	if err := app.Validate(); err != nil {
		return nil, err
	}
	final, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("lock: materialise: %w", err)
	}
	if _, err := os.Lstat(final); err == nil {
		return nil, fmt.Errorf("lock: materialise into %s: %w", final, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("lock: materialise: %w", err)
	}
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("lock: materialise: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, filepath.Base(final)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("lock: materialise: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = os.RemoveAll(tmp)
		}
	}()

	local, err := build(ctx, app, content, tmp, final)
	if err != nil {
		return nil, err
	}
	out, err := fromLocal(local, final)
	if err != nil {
		return nil, fmt.Errorf("lock: materialise: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("lock: materialise: %w", err)
	}
	done = true
	return out, nil
}

// build fills tmp and returns the local lock with URIs under final.
func build(ctx context.Context, app *lock.LockedApp, content Content, tmp, final string) (*lock.LockedApp, error) {
	// os.Root refuses any path (including via symlinks) that would leave
	// tmp, a second line of defence behind CheckFilePath.
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return nil, fmt.Errorf("lock: materialise: %w", err)
	}
	defer root.Close()

	local, err := cloneApp(app)
	if err != nil {
		return nil, err
	}
	limit := content.MaxUnpackedSize
	if limit <= 0 {
		limit = DefaultMaxUnpackedSize
	}
	b := &builder{
		blobs:    content.Blobs,
		store:    content.Store,
		linkFrom: content.LinkFrom,
		root:     root,
		final:    final,
		wasm:     make(map[digest.Digest]string),
		archives: &archiveIndex{
			blobs:    content.Blobs,
			archives: dedupDigests(content.Archives),
			root:     root,
			dir:      scratchDirName,
			limit:    limit,
			files:    make(map[digest.Digest]string),
		},
	}
	for _, d := range []string{WasmDirName, FilesDirName} {
		if err := root.Mkdir(d, 0o755); err != nil {
			return nil, fmt.Errorf("lock: materialise: %w", err)
		}
	}
	for i := range local.Components {
		c := &local.Components[i]
		if err := b.component(ctx, c); err != nil {
			return nil, fmt.Errorf("lock: component %q: %w", c.ID, err)
		}
	}

	data, err := json.MarshalIndent(local, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("lock: encode local lock: %w", err)
	}
	if err := root.WriteFile(LockFileName, append(data, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("lock: write %s: %w", LockFileName, err)
	}
	if err := root.RemoveAll(scratchDirName); err != nil {
		return nil, fmt.Errorf("lock: remove scratch: %w", err)
	}
	return local, nil
}

// builder writes one application into root.
type builder struct {
	blobs    Blobs
	store    *Store // nil: copy every file
	linkFrom string // see Content.LinkFrom
	root     *os.Root
	final    string
	wasm     map[digest.Digest]string // digest → final absolute path, for de-duplication
	archives *archiveIndex
}

func (b *builder) component(ctx context.Context, c *lock.Component) error {
	if err := checkComponentID(c.ID); err != nil {
		return err
	}
	src, err := b.wasmSource(ctx, c.Source)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	c.Source = src

	if err := b.dependencies(ctx, c); err != nil {
		return err
	}

	if len(c.Files) == 0 {
		c.Files = nil
		return nil
	}
	mount := path.Join(FilesDirName, c.ID)
	if err := b.root.Mkdir(mount, 0o755); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	for _, f := range c.Files {
		if err := b.file(ctx, mount, f); err != nil {
			return fmt.Errorf("file %q: %w", f.Path, err)
		}
	}
	c.Files = []lock.ContentPath{{
		ContentRef: lock.ContentRef{Source: FileURI(filepath.Join(b.final, FilesDirName, c.ID))},
		Path:       "/",
	}}
	return nil
}

// dependencies materialises the sources of component dependencies (Spin 3
// with --compose=false), keeping their other fields untouched.
func (b *builder) dependencies(ctx context.Context, c *lock.Component) error {
	names := make([]string, 0, len(c.Dependencies))
	for n := range c.Dependencies {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var dep map[string]json.RawMessage
		if err := json.Unmarshal(c.Dependencies[n], &dep); err != nil {
			return fmt.Errorf("dependency %q: %w", n, err)
		}
		var src *lock.ComponentSource
		if raw, ok := dep["source"]; ok {
			if err := json.Unmarshal(raw, &src); err != nil {
				return fmt.Errorf("dependency %q: source: %w", n, err)
			}
		}
		if src == nil { // absent or null
			return fmt.Errorf("dependency %q: no source: %w", n, lock.ErrInvalid)
		}
		local, err := b.wasmSource(ctx, *src)
		if err != nil {
			return fmt.Errorf("dependency %q: source: %w", n, err)
		}
		if dep["source"], err = json.Marshal(local); err != nil {
			return fmt.Errorf("dependency %q: %w", n, err)
		}
		if c.Dependencies[n], err = json.Marshal(dep); err != nil {
			return fmt.Errorf("dependency %q: %w", n, err)
		}
	}
	return nil
}

// wasmSource writes a wasm once per digest and returns its local source.
func (b *builder) wasmSource(ctx context.Context, src lock.ComponentSource) (lock.ComponentSource, error) {
	d, inline, err := resolveRef(src.ContentRef)
	if err != nil {
		return src, err
	}
	p, ok := b.wasm[d]
	if !ok {
		rel := path.Join(WasmDirName, d.Encoded()+".wasm")
		if err := b.write(ctx, rel, d, inline); err != nil {
			return src, err
		}
		p = filepath.Join(b.final, filepath.FromSlash(rel))
		b.wasm[d] = p
	}
	// The digest stays, checked: an App opened from this directory names
	// the wasm's compiled code by it (Component.WasmDigest).
	return lock.ComponentSource{ContentType: src.ContentType, ContentRef: lock.ContentRef{Source: FileURI(p), Digest: d.String()}}, nil
}

// file writes one files entry under the component's mount directory.
func (b *builder) file(ctx context.Context, mount string, f lock.ContentPath) error {
	if err := lock.CheckFilePath(f.Path); err != nil {
		return err
	}
	d, inline, err := resolveRef(f.ContentRef)
	if err != nil {
		return err
	}
	rel := path.Join(mount, f.Path)
	if err := b.root.MkdirAll(path.Dir(rel), 0o755); err != nil {
		return err
	}
	return b.write(ctx, rel, d, inline)
}

// resolveRef checks a content reference of a lock to be materialised and
// returns its digest (computed for inline-only content) and decoded inline
// bytes (nil when not inline). Inline bytes are verified against the digest
// here so de-duplicated entries are checked too.
func resolveRef(ref lock.ContentRef) (digest.Digest, []byte, error) {
	if ref.Source != "" {
		return "", nil, fmt.Errorf("source URI %q cannot be resolved: a lock to materialise must carry content inline or by digest: %w", ref.Source, lock.ErrInvalid)
	}
	var inline []byte
	if ref.Inline != nil {
		var err error
		if inline, err = lock.DecodeInline(*ref.Inline); err != nil {
			return "", nil, err
		}
	}
	if ref.Digest == "" {
		if inline == nil {
			return "", nil, fmt.Errorf("no inline content and no digest: %w", lock.ErrInvalid)
		}
		return digest.FromBytes(inline), inline, nil
	}
	d, err := digest.Parse(ref.Digest)
	if err != nil {
		return "", nil, fmt.Errorf("digest %q: %w", ref.Digest, err)
	}
	if inline != nil {
		if got := d.Algorithm().FromBytes(inline); got != d {
			return "", nil, fmt.Errorf("inline content: %w: expected %s got %s", ErrDigestMismatch, d, got)
		}
	}
	return d, inline, nil
}

// write creates rel (which must not exist) with the content of digest d,
// taken from inline when non-nil, else from the blobs or archives, verifying
// the digest as it streams.
func (b *builder) write(ctx context.Context, rel string, d digest.Digest, inline []byte) error {
	if b.store != nil {
		switch err := b.link(ctx, rel, d, inline); {
		case errors.Is(err, errCrossDevice):
			log.G(ctx).WithFields(log.Fields{"store": b.store.Dir(), "app": b.final}).
				Warn("the app directory is on another filesystem than the file store: copying its files instead of linking them")
			b.store = nil
		case errors.Is(err, errTooManyLinks):
			// This content only (thousands of identical files): copy it.
		default:
			return err
		}
	}
	var r io.ReadCloser
	if inline != nil {
		r = io.NopCloser(bytes.NewReader(inline))
	} else {
		var err error
		if r, err = b.open(ctx, d); err != nil {
			return err
		}
	}
	defer r.Close()

	f, err := b.root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s is written twice: %w", rel, lock.ErrInvalid)
		}
		return err
	}
	err = copyVerified(ctx, f, r, d)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("copy %s: %w", d, cerr)
	}
	return err
}

// open finds d in the blobs, falling back to the archives.
func (b *builder) open(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	if b.blobs != nil {
		r, err := b.blobs.Open(ctx, d)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ErrBlobNotFound) {
			return nil, fmt.Errorf("open %s: %w", d, err)
		}
	}
	p, err := b.archives.lookup(ctx, d)
	if err != nil {
		if errors.Is(err, ErrBlobNotFound) {
			return nil, fmt.Errorf("%w: %s is in neither the artifact's layers nor its archives", ErrBlobNotFound, d)
		}
		return nil, err
	}
	return b.root.Open(p)
}

// cloneApp deep-copies app so Materialize never modifies its input.
func cloneApp(app *lock.LockedApp) (*lock.LockedApp, error) {
	data, err := json.Marshal(app)
	if err != nil {
		return nil, fmt.Errorf("lock: copy: %w", err)
	}
	var out lock.LockedApp
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("lock: copy: %w", err)
	}
	return &out, nil
}

func dedupDigests(ds []digest.Digest) []digest.Digest {
	out := make([]digest.Digest, 0, len(ds))
	for _, d := range ds {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// copyVerified copies src to dst (io.Discard to only check it) and fails,
// wrapping ErrDigestMismatch, unless what it copied hashes to d.
func copyVerified(ctx context.Context, dst io.Writer, src io.Reader, d digest.Digest) error {
	h := d.Algorithm().Hash()
	if _, err := io.Copy(io.MultiWriter(dst, h), ctxReader{ctx: ctx, r: src}); err != nil {
		return fmt.Errorf("copy %s: %w", d, err)
	}
	if got := digest.NewDigest(d.Algorithm(), h); got != d {
		return fmt.Errorf("%w: expected %s got %s", ErrDigestMismatch, d, got)
	}
	return nil
}

// ctxReader stops a long copy when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// checkComponentID makes sure a component id can be used as a single
// directory name under files/.
func checkComponentID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\\\x00") {
		return fmt.Errorf("component id %q cannot be used as a directory name: %w", id, lock.ErrInvalid)
	}
	return nil
}
