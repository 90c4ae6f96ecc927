package runtimeconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// labels is a table-of-tables section that records its labels and types.
func labels(name string, got map[string]string) Section {
	return Section{Name: name, Parse: func(raw any, _ *File) error {
		return Tables(raw, func(label string, table any) error {
			if _, err := TypeOf(table, "ok"); err != nil {
				return err
			}
			var c struct {
				Type string `toml:"type"`
				Path string `toml:"path"`
			}
			if err := Decode(table, &c); err != nil {
				return err
			}
			got[label] = c.Path
			return nil
		})
	}}
}

func TestParse(t *testing.T) {
	got := map[string]string{}
	var entries int
	array := Section{Name: "provider", Parse: func(raw any, _ *File) error {
		return Array(raw, func(int, any) error { entries++; return nil })
	}}
	data := `
[store.a]
type = "ok"
path = "x.db"

[store.b]
type = "ok"

[[provider]]
type = "env"
[[provider]]
type = "env"
`
	if err := Parse(&File{Path: "/etc/rc.toml"}, []byte(data), labels("store", got), array); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["a"] != "x.db" || entries != 2 {
		t.Errorf("parsed %v, %d entries", got, entries)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"[other]\nx = 1", `unknown section "other" (this runtime supports store)`},
		{"[store.a]\ntype = \"nope\"", `[store]: "a": unsupported type "nope" (this runtime supports "ok")`},
		{"[store.a]\npath = \"p\"", `"a": missing "type"`},
		{"[store.a]\ntype = \"ok\"\nurl = \"u\"", `"a": unknown option url`},
		{"[store]\na = 1", `"a": want a table`},
		{"store = 1", `want a table of [<section>.<label>] tables`},
		{"[store.a\n", `runtime config /rc.toml:`},
	} {
		err := Parse(&File{Path: "/rc.toml"}, []byte(tc.data), labels("store", map[string]string{}))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.data, err, tc.want)
		}
	}
}

func TestReadFileAndResolve(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rc.toml")
	if err := os.WriteFile(path, []byte("[store.a]\ntype = \"ok\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ReadFile(path, labels("store", map[string]string{})); err != nil {
		t.Fatal(err)
	}
	if err := ReadFile(filepath.Join(dir, "missing.toml")); err == nil {
		t.Error("a missing file was read")
	}
	f := &File{Path: path}
	if got := f.Resolve("data/x.db"); got != filepath.Join(dir, "data/x.db") {
		t.Errorf("Resolve(relative) = %s", got)
	}
	if got := f.Resolve("/abs.db"); got != "/abs.db" {
		t.Errorf("Resolve(absolute) = %s", got)
	}
}
