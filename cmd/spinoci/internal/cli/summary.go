package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// Summary is what `spinoci inspect` shows (and prints with --json).
type Summary struct {
	Reference   string      `json:"reference,omitempty"`
	Digest      string      `json:"digest,omitempty"`
	Layout      string      `json:"layout"`
	Name        string      `json:"name,omitempty"`
	Version     string      `json:"version,omitempty"`
	Description string      `json:"description,omitempty"`
	Authors     []string    `json:"authors,omitempty"`
	Base        string      `json:"base"`
	Variables   []Variable  `json:"variables,omitempty"`
	Components  []Component `json:"components"`
	Layers      []Layer     `json:"layers,omitempty"`
	// Warnings are what would stop the app from running (triggers of
	// types spinoci does not run).
	Warnings []string `json:"warnings,omitempty"`
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
	AllowedOutboundHosts []string          `json:"allowed_outbound_hosts,omitempty"`
	AllowedHTTPHosts     []string          `json:"allowed_http_hosts,omitempty"`
	Environment          map[string]string `json:"environment,omitempty"`
	Config               map[string]string `json:"config,omitempty"`
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

// Layer is a manifest layer.
type Layer struct {
	MediaType string `json:"media_type"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// summarize describes app; art, when set, is the artifact it was read
// from (sizes come from its layers).
func summarize(app *lock.LockedApp, layout string, art *artifact.Artifact) *Summary {
	s := &Summary{Layout: layout, Base: app.HTTPBase(), Components: []Component{}, Warnings: unsupportedTriggerWarnings(app)}
	str := func(key string) string {
		var v string
		_ = json.Unmarshal(app.Metadata[key], &v)
		return v
	}
	s.Name, s.Version, s.Description = str("name"), str("version"), str("description")
	_ = json.Unmarshal(app.Metadata["authors"], &s.Authors)
	for _, name := range sortedKeys(app.Variables) {
		v := app.Variables[name]
		def := v.Default
		if v.Secret {
			def = nil // secret values are never shown
		}
		s.Variables = append(s.Variables, Variable{Name: name, Default: def, Required: v.Default == nil, Secret: v.Secret})
	}
	sizes := map[digest.Digest]int64{}
	if art != nil {
		s.Digest = art.ManifestDesc.Digest.String()
		for _, l := range art.Manifest.Layers {
			sizes[l.Digest] = l.Size
			s.Layers = append(s.Layers, Layer{MediaType: l.MediaType, Digest: l.Digest.String(), Size: l.Size})
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

// writeText prints the summary for people.
func (s *Summary) writeText(out io.Writer) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%s\t%s\n", k, v)
		}
	}
	row("Reference", s.Reference)
	row("Digest", s.Digest)
	row("Layout", s.Layout)
	row("Application", strings.TrimSpace(s.Name+" "+s.Version))
	row("Description", s.Description)
	row("Authors", strings.Join(s.Authors, ", "))
	if s.Base != "/" {
		row("Base path", s.Base)
	}
	var vars []string
	for _, v := range s.Variables {
		switch {
		case v.Default != nil && v.Secret:
			vars = append(vars, fmt.Sprintf("%s (secret, default set)", v.Name))
		case v.Default != nil:
			vars = append(vars, fmt.Sprintf("%s (default %q)", v.Name, *v.Default))
		case v.Secret:
			vars = append(vars, v.Name+" (required, secret)")
		default:
			vars = append(vars, v.Name+" (required)")
		}
	}
	row("Variables", strings.Join(vars, ", "))
	if len(s.Layers) > 0 {
		counts := map[string]int{}
		for _, l := range s.Layers {
			counts[layerKind(l.MediaType)]++
		}
		var parts []string
		for _, k := range sortedKeys(counts) {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
		row("Layers", fmt.Sprintf("%d (%s)", len(s.Layers), strings.Join(parts, ", ")))
	}
	for _, c := range s.Components {
		fmt.Fprintf(w, "\nComponent %s\n", c.ID)
		row("  Description", c.Description)
		for _, t := range c.Triggers {
			switch {
			case t.Private:
				row("  Route", fmt.Sprintf("(private) %s executor", t.Executor))
			case t.Type == lock.TriggerTypeHTTP:
				row("  Route", fmt.Sprintf("%s  %s executor", t.Route, t.Executor))
			default:
				row("  Trigger", t.Type+" "+t.ID)
			}
		}
		row("  Source", fmt.Sprintf("%s (%s)", c.Source, size(c.Size)))
		if len(c.Files) > 0 {
			row("  Files", fmt.Sprintf("%d", len(c.Files)))
			for _, f := range c.Files {
				note := size(f.Size)
				if f.Inline {
					note += ", inline"
				}
				row("", fmt.Sprintf("%s (%s)", f.Path, note))
			}
		}
		row("  Key-value stores", strings.Join(c.KeyValueStores, ", "))
		row("  Allowed outbound hosts", strings.Join(c.AllowedOutboundHosts, ", "))
		row("  Allowed HTTP hosts", strings.Join(c.AllowedHTTPHosts, ", "))
		for _, k := range sortedKeys(c.Environment) {
			row("  Environment", k+"="+c.Environment[k])
		}
		for _, k := range sortedKeys(c.Config) {
			row("  Config", k+" = "+c.Config[k])
		}
	}
	w.Flush()
}

func layerKind(mt string) string {
	switch mt {
	case artifact.MediaTypeWasmLayer, artifact.MediaTypeWasm:
		return "wasm"
	case artifact.MediaTypeDataLayer:
		return "data"
	case artifact.MediaTypeArchiveLayer:
		return "archive"
	case artifact.MediaTypeSpinApplication:
		return "lock"
	}
	return mt
}

func size(n int64) string {
	if n < 0 {
		return "size unknown"
	}
	return fmt.Sprintf("%d bytes", n)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
