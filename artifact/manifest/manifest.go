package manifest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	toml "github.com/pelletier/go-toml/v2"

	"github.com/spinoci/spinoci/lock"
)

// FileName is the manifest's conventional name.
const FileName = "spin.toml"

// BlobFinder finds content already on this machine by digest, e.g. in the
// pull cache. It lets `{ url, digest }` sources work without a download.
type BlobFinder interface {
	BlobPath(d digest.Digest) (path string, ok bool)
}

// Options tunes Load.
type Options struct {
	// Blobs, if set, is searched for the digest of `{ url, digest }`
	// component sources.
	Blobs BlobFinder
	// Root, if set, is the file system absolute paths in the manifest are
	// in (a container image's root filesystem, whose /spin.toml is read);
	// otherwise they are the machine's.
	Root string
}

// Load reads the Spin manifest at path (a spin.toml, or a directory holding
// one) and returns the local lock Spin would write for it: component
// sources as file:// URIs, each file as {"source": "file://<file>", "path":
// "/<guest path>"}, metadata.origin the manifest's file:// URI. Relative
// paths in the manifest are relative to its directory.
func Load(ctx context.Context, path string, opts Options) (*lock.LockedApp, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, FileName)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading Spin manifest: %s does not exist", path)
		}
		return nil, fmt.Errorf("reading Spin manifest: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("reading Spin manifest: %w", err)
	}
	l := &loader{file: path, abs: abs, dir: filepath.Dir(abs), opts: opts}

	var head struct {
		ManifestVersion any `toml:"spin_manifest_version"`
		SpinVersion     any `toml:"spin_version"`
	}
	if err := toml.Unmarshal(data, &head); err != nil {
		return nil, tomlError(path, err)
	}
	l.pos = indexPositions(data)
	key, v := "spin_manifest_version", head.ManifestVersion
	if v == nil && head.SpinVersion != nil {
		key, v = "spin_version", head.SpinVersion
	}
	var app *lock.LockedApp
	switch fmt.Sprint(v) {
	case "1":
		app, err = l.loadV1(ctx, data)
	case "2":
		app, err = l.loadV2(ctx, data)
	case "<nil>":
		return nil, &Error{File: path, Err: fmt.Errorf("%w: no spin_manifest_version (spinoci reads spin_manifest_version = \"1\" and spin_manifest_version = 2)", ErrUnknownVersion)}
	default:
		return nil, l.errAt(key, "%w %s (spinoci reads spin_manifest_version = \"1\" and spin_manifest_version = 2)", ErrUnknownVersion, tomlValue(v))
	}
	if err != nil {
		return nil, err
	}
	if err := app.Validate(); err != nil {
		return nil, &Error{File: path, Err: err}
	}
	return app, nil
}

// tomlValue shows a decoded TOML value as it would be written.
func tomlValue(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

// loader holds what the version-specific loaders share.
type loader struct {
	file string // as given, for messages
	abs  string // absolute path of the manifest
	dir  string // absolute directory of the manifest
	pos  positions
	opts Options
}

// errAt is an error about the value at key path.
func (l *loader) errAt(path string, format string, args ...any) error {
	return &Error{File: l.file, Line: l.pos.line(path), Key: displayKey(path), Err: fmt.Errorf(format, args...)}
}

// decodeStrict decodes data into v, refusing keys v does not have.
func (l *loader) decodeStrict(data []byte, v any) error {
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return tomlError(l.file, err)
	}
	return nil
}

// rawJSON encodes v as serde_json would: compact, no HTML escaping.
func rawJSON(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("manifest: encoding %T: %v", v, err)) // only plain maps, slices and strings
	}
	return json.RawMessage(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// validName tells whether s is a Spin variable or config key name:
// lowercase letters, digits and '_', starting with a letter.
func validName(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
		case i > 0 && (r >= '0' && r <= '9' || r == '_'):
		default:
			return false
		}
	}
	return s != ""
}

// validID tells whether s can be a component id: it becomes a directory
// name when the app is materialised, so letters, digits, '-', '_' and '.'
// only, not starting with '.'.
func validID(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case i > 0 && (r == '-' || r == '_' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}
