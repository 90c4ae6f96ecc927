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
	if got, err := f.Resolve("data/x.db"); err != nil || got != filepath.Join(dir, "data/x.db") {
		t.Errorf("Resolve(relative) = %s, %v", got, err)
	}
	if got, err := f.Resolve("/abs.db"); err != nil || got != "/abs.db" {
		t.Errorf("Resolve(absolute) = %s, %v", got, err)
	}
}

// A container's runtime config names paths in the container.
func TestResolveInContainer(t *testing.T) {
	var vols []Volume
	for _, s := range []string{"/data=/host/data", "/data/sub=/host/sub", "/runtime-config.toml=/host/secret"} {
		v, err := ParseVolume(s)
		if err != nil {
			t.Fatal(err)
		}
		vols = append(vols, v)
	}
	file := &File{Path: "/host/rc.toml", Name: "/runtime-config.toml", Container: true, Volumes: vols}
	secret := &File{Path: "/host/secret/runtime-config.toml", Name: "/runtime-config.toml/runtime-config.toml", Container: true, Volumes: vols}
	for _, tc := range []struct {
		f          *File
		path, want string
	}{
		{file, "/data/r.db", "/host/data/r.db"},
		{file, "/data/sub/deeper/r.db", "/host/sub/deeper/r.db"},
		{file, "/data/subway.db", "/host/data/subway.db"},
		{file, "data/r.db", "/host/data/r.db"},
		{file, "/data", "/host/data"},
		{secret, ".env", "/host/secret/.env"},
		{secret, "../data/r.db", "/host/data/r.db"},
	} {
		if got, err := tc.f.Resolve(tc.path); err != nil || got != tc.want {
			t.Errorf("Resolve(%q) from %s = %q, %v; want %q", tc.path, tc.f.Name, got, err, tc.want)
		}
	}
	if _, err := file.Resolve("/srv/r.db"); err == nil || err.Error() != `path "/srv/r.db" is /srv/r.db in the container, which is on no volume: mount one there` {
		t.Errorf("a path on no volume: %v", err)
	}
	if _, err := ParseVolume("data=/x"); err == nil {
		t.Error("a relative destination was accepted")
	}
	// Messages name the file as the container knows it.
	err := Parse(file, []byte("[other]\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "runtime config /runtime-config.toml: ") {
		t.Errorf("error %v", err)
	}
}
