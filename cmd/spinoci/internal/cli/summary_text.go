package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spinoci/spinoci/cmd/spinoci/internal/humanize"
	"github.com/spinoci/spinoci/lock"
)

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
	row("Layout", s.layoutText)
	if s.Path != "" {
		row("Read from", s.Path+" (local)")
	}
	row("Created", s.Created)
	if s.Size > 0 {
		row("Size", humanize.Bytes(s.Size))
	}
	row("Application", strings.TrimSpace(s.Name+" "+s.Version))
	row("Description", s.Description)
	row("Authors", strings.Join(s.Authors, ", "))
	if s.Base != "/" {
		row("Base path", s.Base)
	}
	row("Variables", variablesText(s.Variables))
	if len(s.Layers) > 0 {
		counts := map[string]int{}
		for _, l := range s.Layers {
			counts[l.Kind]++
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(counts)) {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
		row("Layers", fmt.Sprintf("%d (%s)", len(s.Layers), strings.Join(parts, ", ")))
	}
	for _, c := range s.Components {
		fmt.Fprintf(w, "\nComponent %s\n", c.ID)
		c.writeText(row)
	}
	w.Flush()
}

func variablesText(vars []Variable) string {
	var out []string
	for _, v := range vars {
		switch {
		case v.Default != nil && v.Secret:
			out = append(out, fmt.Sprintf("%s (secret, default set)", v.Name))
		case v.Default != nil:
			out = append(out, fmt.Sprintf("%s (default %q)", v.Name, *v.Default))
		case v.Secret:
			out = append(out, v.Name+" (required, secret)")
		default:
			out = append(out, v.Name+" (required)")
		}
	}
	return strings.Join(out, ", ")
}

// writeText prints a component's rows.
func (c *Component) writeText(row func(k, v string)) {
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
	row("  Source", fmt.Sprintf("%s (%s)", c.Source, humanize.Bytes(c.Size)))
	if len(c.Files) > 0 {
		row("  Files", fmt.Sprintf("%d", len(c.Files)))
		for _, f := range c.Files {
			note := humanize.Bytes(f.Size)
			if f.Inline {
				note += ", inline"
			}
			row("", fmt.Sprintf("%s (%s)", f.Path, note))
		}
	}
	switch {
	case c.ImportsError != "":
		row("  Host APIs", "unknown ("+c.ImportsError+")")
	case c.Imports != nil && len(c.HostAPIs) == 0:
		row("  Host APIs", "none")
	default:
		row("  Host APIs", strings.Join(c.HostAPIs, ", "))
	}
	row("  Key-value stores", strings.Join(c.KeyValueStores, ", "))
	row("  SQLite databases", strings.Join(c.SQLiteDatabases, ", "))
	row("  Allowed outbound hosts", strings.Join(c.AllowedOutboundHosts, ", "))
	row("  Allowed HTTP hosts", strings.Join(c.AllowedHTTPHosts, ", "))
	for _, k := range slices.Sorted(maps.Keys(c.Environment)) {
		row("  Environment", k+"="+c.Environment[k])
	}
	for _, k := range slices.Sorted(maps.Keys(c.Config)) {
		row("  Config", k+" = "+c.Config[k])
	}
}
