package cli

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// SchemaVersion is the version of the `inspect --json` schema (docs/cli.md).
// It changes only when a field is removed or changes meaning; new fields
// may be added without changing it.
const SchemaVersion = 1

// Origins: what a Summary was read from.
const (
	OriginRegistry = "registry"  // a registry reference (manifest, config and lock)
	OriginManifest = "spin.toml" // a local Spin manifest
	OriginLock     = "spin.lock" // a local lock, such as `spinoci pull` writes
)

// Layouts: how the application is laid out in its OCI manifest.
const (
	LayoutSpinA       = "spin-a"       // Spin 0.10-1.5: the config is the lock
	LayoutSpinB       = "spin-b"       // Spin 2.0+: image config, the lock is the last layer
	LayoutWasmPackage = "wasm-package" // one application/wasm layer
)

// layoutName is the schema's name of a layout.
func layoutName(l artifact.Layout) string {
	switch l {
	case artifact.LayoutA:
		return LayoutSpinA
	case artifact.LayoutB:
		return LayoutSpinB
	case artifact.LayoutWasmPackage:
		return LayoutWasmPackage
	}
	return l.String()
}

// Summary is what `spinoci inspect` shows (and prints with --json). Its
// JSON form is documented in docs/cli.md.
type Summary struct {
	SchemaVersion int               `json:"schema_version"`
	Origin        string            `json:"origin"`
	Path          string            `json:"path,omitempty"`
	Reference     string            `json:"reference,omitempty"`
	Digest        string            `json:"digest,omitempty"`
	MediaType     string            `json:"media_type,omitempty"`
	Layout        string            `json:"layout,omitempty"`
	Created       string            `json:"created,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
	Size          int64             `json:"size,omitempty"`
	Name          string            `json:"name,omitempty"`
	Version       string            `json:"version,omitempty"`
	Description   string            `json:"description,omitempty"`
	Authors       []string          `json:"authors,omitempty"`
	Base          string            `json:"base"`
	Variables     []Variable        `json:"variables,omitempty"`
	Components    []Component       `json:"components"`
	Config        *Blob             `json:"config,omitempty"`
	Layers        []Layer           `json:"layers,omitempty"`
	// Warnings are what would stop the app from running (triggers of
	// types spinoci does not run).
	Warnings []string `json:"warnings,omitempty"`

	// layoutText describes the layout for people.
	layoutText string
}

// Variable is an application variable.
type Variable struct {
	Name     string  `json:"name"`
	Default  *string `json:"default,omitempty"`
	Required bool    `json:"required"`
	Secret   bool    `json:"secret"`
}

// Component is one component and how it is reached.
type Component struct {
	ID                   string            `json:"id"`
	Description          string            `json:"description,omitempty"`
	Triggers             []Trigger         `json:"triggers"`
	Source               string            `json:"source"`
	Size                 int64             `json:"size"`
	Files                []File            `json:"files,omitempty"`
	KeyValueStores       []string          `json:"key_value_stores,omitempty"`
	SQLiteDatabases      []string          `json:"sqlite_databases,omitempty"`
	AllowedOutboundHosts []string          `json:"allowed_outbound_hosts,omitempty"`
	AllowedHTTPHosts     []string          `json:"allowed_http_hosts,omitempty"`
	Environment          map[string]string `json:"environment,omitempty"`
	Config               map[string]string `json:"config,omitempty"`
	// HostAPIs are the host APIs the wasm imports (key-value, sqlite,
	// outbound-http, …) and Imports its imports by name (a core module's
	// import modules, a component's interfaces); both null when the wasm
	// could not be read, which ImportsError then says.
	HostAPIs     []string `json:"host_apis"`
	Imports      []string `json:"imports"`
	ImportsError string   `json:"imports_error,omitempty"`
}

// Trigger is an HTTP route (or another trigger type) of a component.
type Trigger struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Route    string `json:"route,omitempty"`
	Private  bool   `json:"private,omitempty"`
	Executor string `json:"executor,omitempty"`
}

// File is a file a component sees at Path. Size is -1 when unknown (inside
// an archive layer).
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Digest string `json:"digest,omitempty"`
	Inline bool   `json:"inline,omitempty"`
}

// Blob is content in the registry.
type Blob struct {
	MediaType string `json:"media_type"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// Layer is a manifest layer; Kind is one of "wasm", "data", "archive",
// "lock" or "other".
type Layer struct {
	Blob
	Kind        string            `json:"kind"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// summarize describes app, read from origin; art, when set, is the
// artifact it was read from (sizes come from its layers).
func summarize(app *lock.LockedApp, origin string, art *artifact.Artifact) *Summary {
	s := &Summary{SchemaVersion: SchemaVersion, Origin: origin, Base: app.HTTPBase(), Components: []Component{}, Warnings: unsupportedTriggerWarnings(app)}
	str := func(key string) string {
		var v string
		_ = json.Unmarshal(app.Metadata[key], &v)
		return v
	}
	s.Name, s.Version, s.Description = str("name"), str("version"), str("description")
	_ = json.Unmarshal(app.Metadata["authors"], &s.Authors)
	for _, name := range slices.Sorted(maps.Keys(app.Variables)) {
		v := app.Variables[name]
		def := v.Default
		if v.Secret {
			def = nil // secret values are never shown
		}
		s.Variables = append(s.Variables, Variable{Name: name, Default: def, Required: v.Default == nil, Secret: v.Secret})
	}
	sizes := map[digest.Digest]int64{}
	if art != nil {
		s.describeArtifact(art)
		for _, l := range art.Manifest.Layers {
			sizes[l.Digest] = l.Size
		}
	}
	triggers := map[string][]Trigger{}
	httpTriggers, _ := app.HTTPTriggers()
	for _, t := range httpTriggers {
		tr := Trigger{ID: t.ID, Type: lock.TriggerTypeHTTP, Route: t.Route, Private: t.Private, Executor: t.Executor.Type}
		triggers[t.Component] = append(triggers[t.Component], tr)
	}
	for _, t := range app.Triggers {
		if t.TriggerType == lock.TriggerTypeHTTP {
			continue
		}
		var cfg struct {
			Component string `json:"component"`
		}
		_ = json.Unmarshal(t.TriggerConfig, &cfg)
		triggers[cfg.Component] = append(triggers[cfg.Component], Trigger{ID: t.ID, Type: t.TriggerType})
	}
	for i := range app.Components {
		c := &app.Components[i]
		sc := Component{ID: c.ID, Triggers: triggers[c.ID], Environment: c.Env, Config: c.Config}
		var desc string
		_ = json.Unmarshal(c.Metadata["description"], &desc)
		sc.Description = desc
		for key, dst := range map[string]*[]string{
			"key_value_stores":       &sc.KeyValueStores,
			lock.MetadataDatabases:   &sc.SQLiteDatabases,
			"allowed_outbound_hosts": &sc.AllowedOutboundHosts,
			"allowed_http_hosts":     &sc.AllowedHTTPHosts,
		} {
			*dst, _ = c.MetadataStrings(key)
		}
		sc.Source, sc.Size = contentSummary(c.Source.ContentRef, sizes)
		if c.Source.Source != "" {
			if p, err := appdir.WasmPath(c); err == nil {
				sc.Source, sc.Size = p, fileSize(p)
			}
		}
		for _, f := range c.Files {
			sc.Files = append(sc.Files, fileSummaries(f, sizes)...)
		}
		sort.Slice(sc.Files, func(i, j int) bool { return sc.Files[i].Path < sc.Files[j].Path })
		s.Components = append(s.Components, sc)
	}
	return s
}

// unsupportedTriggerWarnings names the app's triggers of types spinoci
// does not run: the app fails to start with them.
func unsupportedTriggerWarnings(app *lock.LockedApp) []string {
	var out []string
	for _, t := range app.UnsupportedTriggers() {
		out = append(out, fmt.Sprintf("trigger %q of component %q has type %q, which spinoci does not run (supported: %s): the app will fail to start",
			t.ID, t.Component(), t.TriggerType, strings.Join(lock.SupportedTriggerTypes(), ", ")))
	}
	return out
}

// warnUnsupportedTriggers prints unsupportedTriggerWarnings on stderr.
func (e *env) warnUnsupportedTriggers(app *lock.LockedApp) {
	for _, w := range unsupportedTriggerWarnings(app) {
		e.infof("Warning: %s", w)
	}
}

// contentSummary names content by digest and finds its size.
func contentSummary(ref lock.ContentRef, sizes map[digest.Digest]int64) (string, int64) {
	if ref.Inline != nil {
		b, _ := lock.DecodeInline(*ref.Inline)
		return ref.Digest, int64(len(b))
	}
	if n, ok := sizes[digest.Digest(ref.Digest)]; ok {
		return ref.Digest, n
	}
	return ref.Digest, -1
}

// fileSummaries lists a files entry: one pushed file, or every file under
// a local source.
func fileSummaries(f lock.ContentPath, sizes map[digest.Digest]int64) []File {
	guest := path.Clean("/" + f.Path)
	if f.Source == "" {
		d, n := contentSummary(f.ContentRef, sizes)
		return []File{{Path: guest, Size: n, Digest: d, Inline: f.Inline != nil}}
	}
	host, err := appdir.FilePathFromURI(f.Source)
	if err != nil {
		return []File{{Path: guest, Size: -1}}
	}
	fi, err := os.Stat(host)
	if err != nil || !fi.IsDir() {
		return []File{{Path: guest, Size: fileSize(host)}}
	}
	var out []File
	_ = filepath.WalkDir(host, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(host, p)
			out = append(out, File{Path: path.Join(guest, filepath.ToSlash(rel)), Size: fileSize(p)})
		}
		return nil
	})
	return out
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return -1
	}
	return fi.Size()
}

// describeArtifact fills in what the registry says about the artifact:
// manifest, layout, annotations, config and layers.
func (s *Summary) describeArtifact(art *artifact.Artifact) {
	m := art.Manifest
	s.Digest = art.ManifestDesc.Digest.String()
	s.MediaType = art.ManifestDesc.MediaType
	s.Layout, s.layoutText = layoutName(art.Layout), art.Layout.String()
	s.Annotations = m.Annotations
	s.Created = m.Annotations[ocispec.AnnotationCreated]
	s.Size = art.ManifestDesc.Size + m.Config.Size
	s.Config = &Blob{MediaType: m.Config.MediaType, Digest: m.Config.Digest.String(), Size: m.Config.Size}
	for _, l := range m.Layers {
		s.Size += l.Size
		s.Layers = append(s.Layers, Layer{
			Blob:        Blob{MediaType: l.MediaType, Digest: l.Digest.String(), Size: l.Size},
			Kind:        layerKind(l.MediaType),
			Annotations: l.Annotations,
		})
	}
}
