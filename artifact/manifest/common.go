package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// variable is a [variables] entry (both manifest versions).
type variable struct {
	Default     *string `toml:"default"`
	Required    bool    `toml:"required"`
	Secret      bool    `toml:"secret"`
	Description string  `toml:"description"`
}

// variables checks the [variables] table and returns the lock's.
func (l *loader) variables(vars map[string]variable) (map[string]lock.Variable, error) {
	if len(vars) == 0 {
		return nil, nil
	}
	out := make(map[string]lock.Variable, len(vars))
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		v := vars[name]
		key := "variables." + name
		switch {
		case !validName(name):
			return nil, l.errAt(key, "invalid variable name: use lowercase letters, digits and '_', starting with a letter")
		case v.Required && v.Default != nil:
			return nil, l.errAt(key, "a variable cannot be both required and have a default")
		case !v.Required && v.Default == nil:
			return nil, l.errAt(key, "a variable needs a default or required = true")
		}
		out[name] = lock.Variable{Description: v.Description, Default: v.Default, Secret: v.Secret}
	}
	return out, nil
}

// config checks a component's config (v1) or variables (v2) table.
func (l *loader) config(key string, cfg map[string]string) (map[string]string, error) {
	for _, name := range slices.Sorted(maps.Keys(cfg)) {
		if !validName(name) {
			return nil, l.errAt(key+"."+name, "invalid name: use lowercase letters, digits and '_', starting with a letter")
		}
	}
	if len(cfg) == 0 {
		return nil, nil
	}
	return cfg, nil
}

// hostPath is where the manifest's path p is: relative to the manifest's
// directory, or, when absolute, inside Options.Root if set.
func (l *loader) hostPath(p string) string {
	switch {
	case !filepath.IsAbs(p):
		return filepath.Join(l.dir, filepath.FromSlash(p))
	case l.opts.Root != "":
		return filepath.Join(l.opts.Root, p)
	default:
		return p
	}
}

// source resolves a component source: a path relative to the manifest, or
// `{ url, digest }` content already on this machine. It returns the wasm's
// absolute path.
func (l *loader) source(key string, v any) (string, error) {
	switch s := v.(type) {
	case nil:
		return "", l.errAt(key, "missing: give the path of the component's wasm file")
	case string:
		p := l.hostPath(s)
		fi, err := os.Stat(p)
		switch {
		case os.IsNotExist(err):
			return "", l.errAt(key, "wasm file %q not found (looked for %s; build the app first?)", s, p)
		case err != nil:
			return "", l.errAt(key, "wasm file %q: %v", s, err)
		case !fi.Mode().IsRegular():
			return "", l.errAt(key, "wasm file %q (%s) is not a regular file", s, p)
		}
		return p, nil
	case map[string]any:
		return l.remoteSource(key, s)
	default:
		return "", l.errAt(key, "must be a path or { url, digest }, not %s", tomlValue(v))
	}
}

// remoteSource handles `{ url = "...", digest = "sha256:..." }`: spinoci
// never downloads, so the content must already be in opts.Blobs.
func (l *loader) remoteSource(key string, m map[string]any) (string, error) {
	if _, ok := m["url"]; !ok {
		if _, ok := m["registry"]; ok {
			return "", l.errAt(key, "registry package sources are not supported (spinoci works offline): give the path of the wasm file")
		}
		return "", l.errAt(key, "must be a path or { url, digest }")
	}
	for k := range m {
		if k != "url" && k != "digest" {
			return "", l.errAt(key+"."+k, "unknown key in { url, digest } source")
		}
	}
	url, _ := m["url"].(string)
	ds, _ := m["digest"].(string)
	d, err := digest.Parse(ds)
	if err != nil || d.Algorithm() != digest.SHA256 {
		return "", l.errAt(key+".digest", "want \"sha256:<64 hex digits>\", got %q", ds)
	}
	if l.opts.Blobs != nil {
		if p, ok := l.opts.Blobs.BlobPath(d); ok {
			if err := verifyFile(p, d); err != nil {
				return "", l.errAt(key, "local copy of %s: %v", d, err)
			}
			return p, nil
		}
	}
	return "", l.errAt(key, "downloading %q is not supported (spinoci works offline) and no local content has digest %s: download it and give its path as source", url, d)
}

func verifyFile(p string, want digest.Digest) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.Encoded() {
		return fmt.Errorf("content has digest sha256:%s", got)
	}
	return nil
}

// executor checks an HTTP executor table and returns its lock form:
// {"type":"spin"} (v2 also "http"), or {"type":"wagi","entrypoint":…,"argv":…}
// with Spin's defaults filled in. nil stays nil (JSON null).
func (l *loader) executor(key string, m map[string]any, v2 bool) (any, error) {
	if m == nil {
		return nil, nil
	}
	typ, ok := m["type"].(string)
	if !ok {
		return nil, l.errAt(key+".type", "missing or not a string: want \"spin\" or \"wagi\"")
	}
	allowed := map[string]bool{"type": true}
	out := map[string]string{"type": typ}
	switch {
	case typ == "spin" || (v2 && typ == "http"):
	case typ == "wagi":
		allowed["entrypoint"], allowed["argv"] = true, true
		out["entrypoint"], out["argv"] = lock.DefaultWagiEntrypoint, lock.DefaultWagiArgv
		for _, k := range []string{"entrypoint", "argv"} {
			if v, ok := m[k]; ok {
				s, ok := v.(string)
				if !ok {
					return nil, l.errAt(key+"."+k, "must be a string")
				}
				out[k] = s
			}
		}
	default:
		want := `"spin" or "wagi"`
		if v2 {
			want = `"http", "spin" or "wagi"`
		}
		return nil, l.errAt(key+".type", "unknown executor %q: want %s", typ, want)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !allowed[k] {
			return nil, l.errAt(key+"."+k, "unknown key in a %s executor", typ)
		}
	}
	return out, nil
}

// lockFiles turns collected files into local lock entries.
// newLockedApp starts the lock both manifest versions write: metadata name,
// version and origin, and description and authors when the manifest gives
// them.
func (l *loader) newLockedApp(name, version, description string, authors []string) *lock.LockedApp {
	app := &lock.LockedApp{
		Metadata: map[string]json.RawMessage{
			"name":    rawJSON(name),
			"version": rawJSON(version),
			"origin":  rawJSON(appdir.FileURI(l.abs)),
		},
		Triggers:   []lock.Trigger{},
		Components: []lock.Component{},
	}
	if description != "" {
		app.Metadata["description"] = rawJSON(description)
	}
	if len(authors) > 0 {
		app.Metadata["authors"] = rawJSON(authors)
	}
	return app
}

// componentFields are the component keys both manifest versions share.
// configKey names the config table: "config" in v1, "variables" in v2.
type componentFields struct {
	description  string
	source       any
	env          map[string]string
	files        []any
	excludeFiles []string
	configKey    string
	config       map[string]string
}

// component loads the source, files and config of the component at key and
// builds its lock entry with metadata meta (plus description when set).
func (l *loader) component(key, id string, f componentFields, meta map[string]json.RawMessage) (*lock.Component, error) {
	wasm, err := l.source(key+".source", f.source)
	if err != nil {
		return nil, err
	}
	files, err := l.files(key+".files", f.files, key+".exclude_files", f.excludeFiles)
	if err != nil {
		return nil, err
	}
	cfg, err := l.config(key+"."+f.configKey, f.config)
	if err != nil {
		return nil, err
	}
	if f.description != "" {
		meta["description"] = rawJSON(f.description)
	}
	comp := &lock.Component{
		ID:       id,
		Metadata: meta,
		Source:   componentSource(wasm),
		Files:    lockFiles(files),
		Config:   cfg,
	}
	if len(f.env) > 0 {
		comp.Env = f.env
	}
	return comp, nil
}

func lockFiles(files []file) []lock.ContentPath {
	var out []lock.ContentPath
	for _, f := range files {
		out = append(out, lock.ContentPath{ContentRef: lock.ContentRef{Source: appdir.FileURI(f.host)}, Path: f.guest})
	}
	return out
}

// componentSource is the lock source of a wasm file.
func componentSource(p string) lock.ComponentSource {
	return lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Source: appdir.FileURI(p)}}
}

// stringList is a JSON list that is [] rather than null when empty.
func stringList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// checkRoute validates an HTTP route string.
func (l *loader) checkRoute(key, route string) error {
	if route == "" {
		return l.errAt(key, "missing: give the HTTP route, e.g. \"/...\" or \"/hello\"")
	}
	if !strings.HasPrefix(route, "/") {
		return l.errAt(key, "route %q must start with '/'", route)
	}
	return nil
}
