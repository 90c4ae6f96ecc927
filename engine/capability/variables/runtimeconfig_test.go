package variables

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/runtimeconfig"
)

func TestRuntimeConfigEnvProviders(t *testing.T) {
	dir := t.TempDir()
	dotenv := "# comment\nexport MYAPP_FROM_FILE=\"file value\"\nMYAPP_BOTH=file\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &RuntimeConfigProviders{Env: []string{"MYAPP_BOTH=env", "SPIN_VARIABLE_PLAIN=p", "lower_CASED=as written", "LOWER_UPPER=no", "BARE=no prefix"}}
	data := `
[[variables_provider]]
type = "env"
prefix = "MYAPP"
dotenv_path = ".env"

[[variables_provider]]
type = "env"
prefix = "lower"
dotenv_path = "missing.env"

[[variables_provider]]
type = "env"
prefix = ""

[[config_provider]]
type = "env"
`
	if err := runtimeconfig.Parse(&runtimeconfig.File{Path: filepath.Join(dir, "rc.toml")}, []byte(data), r.Sections()...); err != nil {
		t.Fatal(err)
	}
	if len(r.Providers) != 4 {
		t.Fatalf("%d providers, want 4", len(r.Providers))
	}
	def := func(s string) *string { return &s }
	got, err := Resolve(context.Background(), map[string]Declaration{
		"from_file": {}, "both": {}, "plain": {}, "unset": {Default: def("d")},
		"cased": {}, "upper": {Default: def("not found")}, "bare": {},
	}, r.Providers...)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"from_file": "file value", "both": "env", "plain": "p", "unset": "d",
		"cased": "as written", "upper": "not found", "bare": "no prefix"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestRuntimeConfigProviderErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"[[variables_provider]]\ntype = \"vault\"\nurl = \"u\"", `[variables_provider]: entry 1: unsupported type "vault" (this runtime supports "env")`},
		{"[[config_provider]]\ntype = \"env\"\nprefx = \"A\"", `entry 1: unknown option prefx`},
		{"[[variables_provider]]\ntype = \"env\"\ndotenv_path = \"/\"", `dotenv_path: read /: is a directory`},
		{"[[variables_provider]]\ntype = \"env\"\nprefix = 1", `prefix`},
		{"[variables_provider]\ntype = \"env\"", `want an array of tables`},
	} {
		r := &RuntimeConfigProviders{}
		err := runtimeconfig.Parse(&runtimeconfig.File{}, []byte(tc.data), r.Sections()...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.data, err, tc.want)
		}
	}
}

func TestConfigAll(t *testing.T) {
	c, err := ComponentConfig("c", map[string]string{"b": "{{ v }}", "a": "lit"}, map[string]string{"v": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.All(); len(got) != 2 || got[0] != [2]string{"a", "lit"} || got[1] != [2]string{"b", "x"} {
		t.Errorf("All = %q", got)
	}
}
