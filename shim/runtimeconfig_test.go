package shim

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/shim/sandbox"
)

func bindMount(src, dst string, opts ...string) specs.Mount {
	return specs.Mount{Destination: dst, Source: src, Type: "bind", Options: append([]string{"rbind"}, opts...)}
}

func TestPlanRuntimeConfigFinds(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rc.toml")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "runtime-config.toml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		mounts     []specs.Mount
		host, name string
	}{
		"none":          {nil, "", ""},
		"file":          {[]specs.Mount{bindMount("/proc", "/proc"), bindMount(file, "/runtime-config.toml", "ro")}, file, "/runtime-config.toml"},
		"secret volume": {[]specs.Mount{bindMount(dir, "/runtime-config.toml/")}, filepath.Join(dir, "runtime-config.toml"), "/runtime-config.toml/runtime-config.toml"},
		"other path":    {[]specs.Mount{bindMount(file, "/etc/runtime-config.toml")}, "", ""},
		"not a bind":    {[]specs.Mount{{Destination: "/runtime-config.toml", Source: "tmpfs", Type: "tmpfs"}}, "", ""},
	} {
		p, err := planRuntimeConfig(&specs.Spec{Mounts: tc.mounts})
		if err != nil || p.hostPath != tc.host || p.name != tc.name {
			t.Errorf("%s: %q as %q, %v; want %q as %q", name, p.hostPath, p.name, err, tc.host, tc.name)
		}
	}
}

// The runtime config's paths are the container's: they resolve through
// the spec's bind mounts to the volumes the app is given.
func TestPlanRuntimeConfigVolumes(t *testing.T) {
	dir := t.TempDir()
	rc := filepath.Join(dir, "rc.toml")
	write := func(data string) {
		t.Helper()
		if err := os.WriteFile(rc, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mounts := []specs.Mount{
		bindMount(rc, "/runtime-config.toml", "ro"),
		bindMount("/host/data", "/data"),
		bindMount("/host/reports", "/data/reports", "ro"),
		bindMount("/host/env", "/env"),
		{Destination: "/scratch", Source: "tmpfs", Type: "tmpfs"},
	}
	write(`
[sqlite_database.reports]
type = "spin"
path = "/data/reports/r.db"

[key_value_store.cache]
type = "spin"
path = "data/kv.db"

[[variables_provider]]
type = "env"
dotenv_path = "/env/.env"

[[variables_provider]]
type = "env"
dotenv_path = "/data/more.env"
`)
	p, err := planRuntimeConfig(&specs.Spec{Mounts: mounts})
	if err != nil {
		t.Fatal(err)
	}
	want := []volume{{"/data", "/host/data", false, false}, {"/data/reports", "/host/reports", true, false}, {"/env", "/host/env", false, false}}
	if !reflect.DeepEqual(p.volumes, want) {
		t.Errorf("volumes %+v, want %+v", p.volumes, want)
	}
	if got := p.volumeArgs(); !reflect.DeepEqual(got, []string{"/data=/host/data", "/data/reports=/host/reports", "/env=/host/env"}) {
		t.Errorf("arguments %q", got)
	}
	app := p.sandboxMounts(false, "/host/env")
	wantApp := []sandbox.Mount{
		{Kind: sandbox.Bind, Source: "/host/data", Dest: "/host/data"},
		{Kind: sandbox.Bind, ReadOnly: true, Source: "/host/reports", Dest: "/host/reports"},
		{Kind: sandbox.Bind, ReadOnly: true, Source: rc, Dest: rc},
	}
	if !reflect.DeepEqual(app, wantApp) {
		t.Errorf("app mounts %+v, want %+v", app, wantApp)
	}
	for _, m := range p.sandboxMounts(true) {
		if !m.ReadOnly {
			t.Errorf("compile stage mount %+v is writable", m)
		}
	}

	for _, tc := range []struct{ data, want string }{
		{"[sqlite_database.r]\ntype = \"spin\"\npath = \"/srv/r.db\"",
			`runtime config /runtime-config.toml: sqlite_database.r.path = "/srv/r.db" is /srv/r.db in the container, which is on no volume: mount a volume at /srv (or a directory above it)`},
		{"[key_value_store.k]\ntype = \"spin\"\npath = \"k.db\"",
			`key_value_store.k.path = "k.db" is /k.db in the container, which is on no volume: use a path in a directory with a volume mounted there (such as /data/k.db with a volume at /data)`},
		{"[[variables_provider]]\ntype = \"env\"\ndotenv_path = \"/scratch/.env\"",
			`variables_provider[0].dotenv_path = "/scratch/.env" is /scratch/.env in the container, which is on no volume`},
	} {
		write(tc.data)
		if _, err := planRuntimeConfig(&specs.Spec{Mounts: mounts}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.data, err, tc.want)
		}
	}

	// A file that does not parse is the app's to report.
	write("[sqlite_database.r\n")
	if _, err := planRuntimeConfig(&specs.Spec{Mounts: mounts}); err != nil {
		t.Errorf("unparsable file: %v", err)
	}
	// An unreadable one is an error here.
	if err := os.Remove(rc); err != nil {
		t.Fatal(err)
	}
	if _, err := planRuntimeConfig(&specs.Spec{Mounts: mounts}); err == nil || !strings.Contains(err.Error(), "reading the runtime config /runtime-config.toml") {
		t.Errorf("missing file: %v", err)
	}
}

// planSandbox binds the runtime config and its volumes into the app's
// root (the volume as the spec mounts it, before the app's directories)
// and, read-only, into the compile stage's; a volume that is the state
// directory is not bound twice.
func TestPlanSandboxBindsRuntimeConfig(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("planSandbox gives directories to the app's user: needs root")
	}
	dir := t.TempDir()
	rc, data, state := filepath.Join(dir, "rc.toml"), filepath.Join(dir, "data"), filepath.Join(dir, "state")
	if err := os.WriteFile(rc, []byte("[sqlite_database.r]\ntype = \"spin\"\npath = \"/data/r.db\"\n[key_value_store.k]\ntype = \"spin\"\npath = \"/.spin/k.db\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := &specs.Spec{Process: &specs.Process{}, Mounts: []specs.Mount{
		bindMount(rc, "/runtime-config.toml", "ro"), bindMount(data, "/data"), bindMount(state, "/.spin"),
	}}
	plan, err := planRuntimeConfig(spec)
	if err != nil {
		t.Fatal(err)
	}
	appDir := filepath.Join(dir, "app")
	launch := appLaunch{dir: appDir, stateDir: state, cacheDir: filepath.Join(dir, "cache"), runtimeConfig: plan}
	if err := planSandbox(spec, &launch, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	index := func(mounts []sandbox.Mount, src string) (int, sandbox.Mount) {
		n := 0
		at, found := -1, sandbox.Mount{}
		for i, m := range mounts {
			if m.Source == src {
				n++
				at, found = i, m
			}
		}
		if n > 1 {
			t.Errorf("%s is bound %d times", src, n)
		}
		return at, found
	}
	i, m := index(launch.sandbox.Mounts, data)
	if j, _ := index(launch.sandbox.Mounts, appDir); i < 0 || m.ReadOnly || m.Dest != data || j < i {
		t.Errorf("app: the /data volume is %+v at %d (the app dir at %d)", m, i, j)
	}
	if _, m := index(launch.sandbox.Mounts, rc); !m.ReadOnly || m.Dest != rc {
		t.Errorf("app: the runtime config is %+v", m)
	}
	index(launch.sandbox.Mounts, state)
	for _, src := range []string{data, rc, state} {
		if _, m := index(launch.compile.Mounts, src); !m.ReadOnly {
			t.Errorf("compile stage: %s is %+v, want it read-only", src, m)
		}
	}
	// Both read the compile cache, whose entries written in this boot need
	// no checksum: they see the boot id, read-only.
	for name, mounts := range map[string][]sandbox.Mount{"app": launch.sandbox.Mounts, "compile stage": launch.compile.Mounts} {
		if _, m := index(mounts, bootIDPath); !m.ReadOnly || m.Dest != bootIDPath {
			t.Errorf("%s: the boot id is %+v, want it bound read-only", name, m)
		}
	}
}

// A writable volume of one file gets a tmpfs at its directory in the app's
// root (SQLite writes its journal there), before every bind and parents
// first; a read-only one, the compile stage's, and one in a directory
// volume the app has get none.
func TestSandboxMountsGiveFileVolumesAScratchDirectory(t *testing.T) {
	dir := t.TempDir()
	rc := filepath.Join(dir, "rc.toml")
	touch := func(name string) string {
		t.Helper()
		f := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	long, nested, ro := touch("a/a-long-database-name.db"), touch("a/b/r.db"), touch("ro/r.db")
	inDir := touch("vol/v.db")
	if err := os.WriteFile(rc, []byte(`
[sqlite_database.long]
type = "spin"
path = "/long.db"
[sqlite_database.nested]
type = "spin"
path = "/nested.db"
[sqlite_database.ro]
type = "spin"
path = "/ro.db"
[sqlite_database.in_dir]
type = "spin"
path = "/vol/v.db"
[sqlite_database.dir]
type = "spin"
path = "/vol/other.db"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := &specs.Spec{Mounts: []specs.Mount{
		bindMount(rc, "/runtime-config.toml", "ro"),
		bindMount(long, "/long.db"), bindMount(nested, "/nested.db"), bindMount(ro, "/ro.db", "ro"),
		bindMount(filepath.Join(dir, "vol"), "/vol"), bindMount(inDir, "/vol/v.db"),
	}}
	p, err := planRuntimeConfig(spec)
	if err != nil {
		t.Fatal(err)
	}
	want := []sandbox.Mount{
		{Kind: sandbox.Tmpfs, Dest: filepath.Join(dir, "a")},
		{Kind: sandbox.Tmpfs, Dest: filepath.Join(dir, "a", "b")},
	}
	got := p.sandboxMounts(false)
	if !reflect.DeepEqual(got[:len(want)], want) {
		t.Errorf("app mounts start %+v, want %+v", got, want)
	}
	for _, m := range got[len(want):] {
		if m.Kind != sandbox.Bind {
			t.Errorf("app mount %+v after the binds began, want only binds", m)
		}
	}
	for _, m := range p.sandboxMounts(true) {
		if m.Kind != sandbox.Bind || !m.ReadOnly {
			t.Errorf("compile stage mount %+v, want read-only binds only", m)
		}
	}
}
