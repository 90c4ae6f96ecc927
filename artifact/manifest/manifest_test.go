package manifest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// minimalWasm is the smallest valid module; the loader never looks inside.
var minimalWasm = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// appDir copies cmd/spinoci/testdata/<name> into a temporary directory and
// writes placeholder apps/*.wasm, returning the directory.
func appDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "cmd", "spinoci", "testdata", name))); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "apps"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, app := range []string{"hello.wasm", "spin-go.wasm", "wagi-go.wasm"} {
		// Distinct bytes per app, so that layers are distinct.
		b := append(append([]byte{}, minimalWasm...), app...)
		if err := os.WriteFile(filepath.Join(dir, "apps", app), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func metaString(t *testing.T, m map[string]json.RawMessage, key string) string {
	t.Helper()
	return string(m[key])
}

func triggerConfigs(t *testing.T, app *lock.LockedApp) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tr := range app.Triggers {
		if tr.TriggerType != "http" {
			t.Errorf("trigger %s: type %q", tr.ID, tr.TriggerType)
		}
		out[tr.ID] = string(tr.TriggerConfig)
	}
	return out
}

// guestFiles lists a component's files as guest path -> host path
// relative to dir.
func guestFiles(t *testing.T, dir string, c *lock.Component) map[string]string {
	t.Helper()
	mounts, err := appdir.Mounts(c)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range mounts {
		rel, err := filepath.Rel(dir, m.HostPath)
		if err != nil {
			t.Fatal(err)
		}
		out[m.GuestPath] = filepath.ToSlash(rel)
	}
	return out
}

func component(t *testing.T, app *lock.LockedApp, id string) *lock.Component {
	t.Helper()
	c, ok := app.Component(id)
	if !ok {
		t.Fatalf("no component %q", id)
	}
	return c
}

func TestLoadSpin1(t *testing.T) {
	dir := appDir(t, "spin1")
	app, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if app.SpinLockVersion != 0 || len(app.MustUnderstand) != 0 {
		t.Errorf("spin_lock_version %d, must_understand %v: want a v0 lock", app.SpinLockVersion, app.MustUnderstand)
	}
	for key, want := range map[string]string{
		"name":        `"cli-spin1"`,
		"version":     `"1.0.0"`,
		"description": `"Three test apps behind Spin 1 routes"`,
		"trigger":     `{"base":"/","type":"http"}`,
		"origin":      `"` + appdir.FileURI(filepath.Join(dir, "spin.toml")) + `"`,
	} {
		if got := metaString(t, app.Metadata, key); got != want {
			t.Errorf("metadata.%s = %s, want %s", key, got, want)
		}
	}
	wantTriggers := map[string]string{
		"trigger--hello":   `{"component":"hello","executor":null,"route":"/..."}`,
		"trigger--spin-go": `{"component":"spin-go","executor":{"type":"spin"},"route":"/go/..."}`,
		"trigger--wagi-go": `{"component":"wagi-go","executor":{"argv":"${SCRIPT_NAME} ${ARGS}","entrypoint":"_start","type":"wagi"},"route":"/wagi/..."}`,
	}
	if got := triggerConfigs(t, app); !reflect.DeepEqual(got, wantTriggers) {
		t.Errorf("triggers:\n got %v\nwant %v", got, wantTriggers)
	}
	if _, err := app.HTTPTriggers(); err != nil {
		t.Errorf("HTTPTriggers: %v", err)
	}

	hello := component(t, app, "hello")
	if p, _ := appdir.WasmPath(hello); p != filepath.Join(dir, "apps", "hello.wasm") {
		t.Errorf("hello source %s", p)
	}
	if got := string(hello.Metadata["allowed_http_hosts"]); got != `["example.com","localhost:8080"]` {
		t.Errorf("allowed_http_hosts %s", got)
	}
	if got := string(hello.Metadata["key_value_stores"]); got != `["default"]` {
		t.Errorf("key_value_stores %s", got)
	}
	if got := string(hello.Metadata["description"]); got != `"WAT hello on everything else"` {
		t.Errorf("description %s", got)
	}
	wantFiles := map[string]string{
		"/assets/logo.txt":     "assets/logo.txt",
		"/static/index.html":   "static/index.html",
		"/static/small.txt":    "static/small.txt",
		"/static/sub/deep.txt": "static/sub/deep.txt",
	}
	if got := guestFiles(t, dir, hello); !reflect.DeepEqual(got, wantFiles) {
		t.Errorf("hello files (static/secret.txt excluded):\n got %v\nwant %v", got, wantFiles)
	}
	if !reflect.DeepEqual(hello.Config, map[string]string{"greeting": "{{ greeting }}"}) {
		t.Errorf("hello config %v", hello.Config)
	}
	spinGo := component(t, app, "spin-go")
	if got := guestFiles(t, dir, spinGo); !reflect.DeepEqual(got, map[string]string{"/index.html": "static/index.html"}) {
		t.Errorf("spin-go files %v", got)
	}
	if !reflect.DeepEqual(spinGo.Env, map[string]string{"MODE": "test"}) {
		t.Errorf("spin-go env %v", spinGo.Env)
	}
	if got := string(component(t, app, "wagi-go").Metadata["allowed_http_hosts"]); got != `[]` {
		t.Errorf("wagi-go allowed_http_hosts %s, want []", got)
	}
	def := "hello"
	wantVars := map[string]lock.Variable{"greeting": {Default: &def}, "token": {Secret: true}}
	if !reflect.DeepEqual(app.Variables, wantVars) {
		t.Errorf("variables %+v", app.Variables)
	}
}

func TestLoadSpin2(t *testing.T) {
	dir := appDir(t, "spin2")
	app, err := Load(context.Background(), filepath.Join(dir, "spin.toml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"name":    `"cli-spin2"`,
		"authors": `["spinoci tests","someone else"]`,
		"trigger": `{"type":"http"}`,
	} {
		if got := metaString(t, app.Metadata, key); got != want {
			t.Errorf("metadata.%s = %s, want %s", key, got, want)
		}
	}
	wantTriggers := map[string]string{
		"hello-http-trigger":       `{"component":"hello","executor":null,"route":"/..."}`,
		"hello-again-http-trigger": `{"component":"hello-again","executor":null,"route":"/again"}`,
		"go":                       `{"component":"spin-go","executor":null,"route":"/go/..."}`,
		"wagi-go-http-trigger":     `{"component":"wagi-go","executor":{"argv":"${SCRIPT_NAME} ${ARGS}","entrypoint":"_start","type":"wagi"},"route":"/go/exact"}`,
		"wagi-go-http-trigger-2":   `{"component":"wagi-go","executor":{"argv":"${SCRIPT_NAME} ${ARGS} from-spin2","entrypoint":"_start","type":"wagi"},"route":"/wagi/..."}`,
	}
	if got := triggerConfigs(t, app); !reflect.DeepEqual(got, wantTriggers) {
		t.Errorf("triggers:\n got %v\nwant %v", got, wantTriggers)
	}
	hello := component(t, app, "hello")
	wantFiles := map[string]string{"/data.json": "assets/data.json", "/static/empty.txt": "static/empty.txt"}
	if got := guestFiles(t, dir, hello); !reflect.DeepEqual(got, wantFiles) {
		t.Errorf("hello files %v, want %v", got, wantFiles)
	}
	for key, want := range map[string]string{
		"allowed_outbound_hosts": `["https://example.com"]`,
		"key_value_stores":       `["default"]`,
		"databases":              `[]`,
	} {
		if got := string(hello.Metadata[key]); got != want {
			t.Errorf("hello metadata.%s = %s, want %s", key, got, want)
		}
	}
	a, _ := appdir.WasmPath(component(t, app, "hello-again"))
	b, _ := appdir.WasmPath(hello)
	if a != b {
		t.Errorf("hello-again source %s, hello %s: want the same file", a, b)
	}
	if got := component(t, app, "spin-go").Config; !reflect.DeepEqual(got, map[string]string{"who": "{{ who }}"}) {
		t.Errorf("spin-go config (component variables) %v", got)
	}
}

// writeManifest writes spin.toml (and placeholder wasm files) into a new
// directory.
func writeManifest(t *testing.T, toml string, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range append([]string{"app.wasm"}, files...) {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, minimalWasm, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "spin.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const v1Head = `spin_manifest_version = "1"
name = "t"
version = "0.1.0"
trigger = { type = "http", base = "/" }
`

const v2Head = `spin_manifest_version = 2
[application]
name = "t"
`

type blobDir string

func (d blobDir) BlobPath(dg digest.Digest) (string, bool) {
	p := filepath.Join(string(d), dg.Encoded())
	_, err := os.Stat(p)
	return p, err == nil
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name, toml string
		files      []string
		want       []string // substrings of the error
	}{
		{name: "bad TOML", toml: v1Head + "\n[[component]]\nid = \"a\"\nsource = \"app.wasm\n",
			want: []string{"spin.toml:8:19: basic strings cannot have new lines"}},
		{name: "unknown version", toml: "spin_manifest_version = \"3\"\nname = \"t\"\n",
			want: []string{"spin.toml:1: spin_manifest_version: unknown manifest version \"3\""}},
		{name: "no version", toml: "name = \"t\"\n",
			want: []string{"unknown manifest version: no spin_manifest_version"}},
		{name: "missing source file", toml: v1Head + `
[[component]]
id = "a"
source = "target/missing.wasm"
[component.trigger]
route = "/..."
`, want: []string{"spin.toml:8: component[0].source: wasm file \"target/missing.wasm\" not found"}},
		{name: "missing file", toml: v1Head + `
[[component]]
id = "a"
source = "app.wasm"
files = ["static/a.txt", "nope.txt"]
[component.trigger]
route = "/..."
`, files: []string{"static/a.txt"}, want: []string{"spin.toml:9: component[0].files[1]: file \"nope.txt\" not found"}},
		{name: "unknown key", toml: v1Head + `
[[component]]
id = "a"
sorce = "app.wasm"
`, want: []string{"spin.toml:8:1: component.sorce: unknown key"}},
		{name: "wrong type", toml: v1Head + `
[[component]]
id = "a"
source = "app.wasm"
key_value_stores = "default"
`, want: []string{"spin.toml:9:"}},
		{name: "url source not local", toml: v1Head + `
[[component]]
id = "a"
source = { url = "https://example.com/a.wasm", digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000" }
[component.trigger]
route = "/..."
`, want: []string{"spin.toml:8: component[0].source: downloading \"https://example.com/a.wasm\" is not supported", "no local content has digest sha256:0000"}},
		{name: "unknown executor", toml: v1Head + `
[[component]]
id = "a"
source = "app.wasm"
[component.trigger]
route = "/..."
executor = { type = "cgi" }
`, want: []string{"spin.toml:11: component[0].trigger.executor.type: unknown executor \"cgi\""}},
		{name: "route without slash", toml: v1Head + `
[[component]]
id = "a"
source = "app.wasm"
[component.trigger]
route = "hello"
`, want: []string{"spin.toml:10: component[0].trigger.route: route \"hello\" must start with '/'"}},
		{name: "duplicate component", toml: v1Head + `
[[component]]
id = "a"
source = "app.wasm"
[component.trigger]
route = "/a"
[[component]]
id = "a"
source = "app.wasm"
[component.trigger]
route = "/b"
`, want: []string{"spin.toml:12: component[1].id: component id \"a\" is used twice"}},
		{name: "required with default", toml: v1Head + `
[variables]
x = { default = "1", required = true }
`, want: []string{"spin.toml:7: variables.x: a variable cannot be both required and have a default"}},
		{name: "v2 unknown component", toml: v2Head + `
[[trigger.http]]
route = "/..."
component = "nope"
`, want: []string{"spin.toml:7: trigger.http[0].component: no [component.nope] in the manifest"}},
		{name: "v2 base", toml: v2Head + `[application.trigger.http]
base = "/x"
`, want: []string{"spin.toml:5: application.trigger.http.base: manifest version 2 has no base path"}},
		{name: "v2 directory as pattern", toml: v2Head + `
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "app.wasm"
files = ["static"]
`, files: []string{"static/a.txt"}, want: []string{"spin.toml:10: component.c.files[0]: \"static\" is a directory: use { source = \"static\""}},
		{name: "v2 pattern escaping", toml: v2Head + `
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "app.wasm"
files = ["../etc/*"]
`, want: []string{"component.c.files[0]: pattern \"../etc/*\" leaves the manifest directory"}},
		{name: "v2 unknown key", toml: v2Head + `
[component.c]
source = "app.wasm"
allowed_hosts = []
`, want: []string{"spin.toml:7:1: component.c.allowed_hosts: unknown key"}},
		{name: "v2 dependencies", toml: v2Head + `
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = "app.wasm"
[component.c.dependencies]
"a:b/c" = "1.0"
`, want: []string{"spin.toml:10: component.c.dependencies: component dependencies are not supported"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeManifest(t, tc.toml, tc.files...)
			app, err := Load(context.Background(), dir, Options{Blobs: blobDir(t.TempDir())})
			if err == nil {
				t.Fatalf("loaded %+v, want an error", app)
			}
			msg := strings.ReplaceAll(err.Error(), filepath.Join(dir, "spin.toml"), "spin.toml")
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\ndoes not contain %q", msg, w)
				}
			}
		})
	}
}

func TestLoadUnknownVersionIsErrUnknownVersion(t *testing.T) {
	dir := writeManifest(t, "spin_manifest_version = 7\n")
	_, err := Load(context.Background(), dir, Options{})
	if !errors.Is(err, ErrUnknownVersion) {
		t.Fatalf("error %v does not wrap ErrUnknownVersion", err)
	}
}

func TestLoadURLSourceFromLocalBlobs(t *testing.T) {
	blobs := t.TempDir()
	d := digest.FromBytes(minimalWasm)
	if err := os.WriteFile(filepath.Join(blobs, d.Encoded()), minimalWasm, 0o444); err != nil {
		t.Fatal(err)
	}
	dir := writeManifest(t, v2Head+`
[[trigger.http]]
route = "/..."
component = "c"
[component.c]
source = { url = "https://example.com/c.wasm", digest = "`+d.String()+`" }
`)
	app, err := Load(context.Background(), dir, Options{Blobs: blobDir(blobs)})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := appdir.WasmPath(&app.Components[0]); p != filepath.Join(blobs, d.Encoded()) {
		t.Errorf("source %s, want the local blob", p)
	}

	// A local blob whose bytes do not match is refused.
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, d.Encoded()), []byte("other"), 0o444); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(context.Background(), dir, Options{Blobs: blobDir(bad)}); err == nil || !strings.Contains(err.Error(), "content has digest") {
		t.Errorf("mismatching local blob: error %v", err)
	}
}

func TestInlineComponentAndPrivateRoute(t *testing.T) {
	dir := writeManifest(t, v2Head+`
[[trigger.http]]
id = "inl"
route = { private = true }
component = { source = "app.wasm", allowed_outbound_hosts = ["http://self"] }
`)
	app, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(app.Components) != 1 || app.Components[0].ID != "inl-component" {
		t.Fatalf("components %+v", app.Components)
	}
	if got := string(app.Triggers[0].TriggerConfig); got != `{"component":"inl-component","executor":null,"route":{"private":true}}` {
		t.Errorf("trigger config %s", got)
	}
}

func TestConvertHTTPHosts(t *testing.T) {
	got := convertHTTPHosts([]string{"example.com", "localhost:8080", "https://x.org/", "insecure:allow-all"}, true)
	want := []string{"http://example.com", "https://example.com", "http://localhost:8080", "https://localhost:8080",
		"https://x.org", "http://*:*", "https://*:*", "http://self", "redis://*:*", "mysql://*:*", "postgres://*:*"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pat, name string
		want      bool
	}{
		{"static/**/*", "static/a.txt", true},
		{"static/**/*", "static/x/y/z.txt", true},
		{"static/**/*", "other/a.txt", false},
		{"static/*", "static/x/a.txt", false},
		{"**/*.txt", "a.txt", true},
		{"**/*.txt", "d/e/a.txt", true},
		{"**/*.txt", "d/e/a.html", false},
		{"*.t?t", "a.txt", true},
		{"[ab].txt", "c.txt", false},
	} {
		if got := globMatch(tc.pat, tc.name); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pat, tc.name, got, tc.want)
		}
	}
}

func TestStage(t *testing.T) {
	dir := appDir(t, "spin1")
	app, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	staged := t.TempDir()
	out, err := Stage(app, staged)
	if err != nil {
		t.Fatal(err)
	}
	hello := component(t, out, "hello")
	if len(hello.Files) != 1 || hello.Files[0].Path != "/" || hello.Files[0].Source != appdir.FileURI(filepath.Join(staged, "hello")) {
		t.Fatalf("staged hello files %+v", hello.Files)
	}
	for _, f := range []string{"hello/static/index.html", "hello/static/sub/deep.txt", "hello/assets/logo.txt", "spin-go/index.html"} {
		if _, err := os.Stat(filepath.Join(staged, f)); err != nil {
			t.Errorf("staged %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(staged, "hello", "static", "secret.txt")); err == nil {
		t.Errorf("excluded static/secret.txt was staged")
	}
	if len(component(t, app, "hello").Files) != 4 {
		t.Errorf("Stage changed its input")
	}
	if len(component(t, out, "wagi-go").Files) != 0 {
		t.Errorf("wagi-go has no files; staged %+v", component(t, out, "wagi-go").Files)
	}
}
