package engine

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/runtimeconfig"
)

// writeRuntimeConfig writes a runtime config file and returns its path.
func writeRuntimeConfig(t *testing.T, toml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "runtime-config.toml")
	if err := os.WriteFile(path, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRuntimeConfigAndStartValidation(t *testing.T) {
	ctx := context.Background()
	kvOther := hostApp{metadata: map[string]any{"key_value_stores": []string{"default", "other"}}}
	dbReports := hostApp{metadata: map[string]any{"databases": []string{"default", "reports"}}}
	for name, tc := range map[string]struct {
		app  hostApp
		toml string
		want string
	}{
		"undeclared store":    {kvOther, "", `component "host": key-value store "other" is not defined`},
		"undeclared database": {dbReports, "", `component "host": sqlite database "reports" is not defined`},
		"unknown section":     {hostApp{}, "[client_tls]\nx = 1\n", `unknown section "client_tls"`},
		"unknown store type":  {hostApp{}, "[key_value_store.x]\ntype = \"azure_cosmos\"\n", `[key_value_store]: "x": unsupported type "azure_cosmos"`},
		"unknown provider":    {hostApp{}, "[[variables_provider]]\ntype = \"vault\"\n", `[variables_provider]: entry 1: unsupported type "vault"`},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := Config{CacheDir: moduleCache}
			if tc.toml != "" {
				cfg.RuntimeConfigFile = writeRuntimeConfig(t, tc.toml)
			}
			_, err := loadLock(t, ctx, hostLock(t, tc.app), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error = %v, want it to contain %q", err, tc.want)
			}
		})
	}

	// Declared in the runtime config, the same labels load; the SQLite
	// database with a path lives there.
	dir := t.TempDir()
	rc := writeRuntimeConfig(t, `
[key_value_store.other]
type = "spin"

[sqlite_database.reports]
type = "spin"
path = "`+filepath.Join(dir, "reports.db")+`"

[[variables_provider]]
type = "env"
prefix = "MYAPP"

[llm_compute]
type = "spin"
`)
	app := hostApp{
		metadata:  map[string]any{"key_value_stores": []string{"default", "other"}, "databases": []string{"default", "reports"}},
		variables: map[string]any{"who": map[string]any{}},
		config:    map[string]string{"who": "{{ who }}"},
	}
	a, err := loadLock(t, ctx, hostLock(t, app), Config{CacheDir: moduleCache, StateDir: dir, RuntimeConfigFile: rc, Env: []string{"MYAPP_WHO=from prefix"}})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if a.vars["who"] != "from prefix" {
		t.Errorf("variable who = %q, want it from the runtime config's env provider", a.vars["who"])
	}
	for _, f := range []string{"reports.db", "sqlite_db.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("database file: %v", err)
		}
	}
}

// TestSQLiteSpin1 runs SQL through the Spin 1.x sqlite imports of a Go
// guest: every value type, Spin's errors, and the default database kept
// in the state directory across Apps.
func TestSQLiteSpin1(t *testing.T) {
	state := t.TempDir()
	h := hostApp{metadata: map[string]any{"databases": []string{"default"}}}
	a := loadHost(t, h, Config{StateDir: state})
	hd := a.Handler()
	sql := func(label, stmt string, params ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/host/sqlite/"+label, strings.NewReader(stmt))
		for i, p := range params {
			req.Header.Set(fmt.Sprintf("x-param-%d", i+1), p)
		}
		w := httptest.NewRecorder()
		hd.ServeHTTP(w, req)
		return w
	}
	expect(t, sql("default", "CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n)"), 200, "\n")
	expect(t, sql("default", "INSERT INTO t VALUES (CAST(? AS INTEGER), 2.5, ?, x'00ff', NULL)", "-7", "tëxt"), 200, "\n")
	expect(t, sql("default", "SELECT * FROM t"), 200, "i|r|s|b|n\nint:-7|real:2.5|text:tëxt|blob:00ff|null\n")
	expect(t, sql("other", "SELECT 1"), 500, "error: access-denied\n")
	if w := sql("default", "SELECT * FROM nowhere"); w.Code != 500 || !strings.HasPrefix(w.Body.String(), "error: io: ") {
		t.Errorf("bad SQL = %d %q, want 500 error: io: …", w.Code, w.Body.String())
	}
	a.Close()
	a = loadHost(t, h, Config{StateDir: state})
	hd = a.Handler()
	expect(t, sql("default", "SELECT s FROM t"), 200, "s\ntext:tëxt\n")
}

// A container's runtime config names paths in the container: they reach
// the host through its volumes; a path on no volume fails the load.
func TestRuntimeConfigContainerPaths(t *testing.T) {
	ctx := context.Background()
	host := t.TempDir()
	rc := writeRuntimeConfig(t, `
[sqlite_database.reports]
type = "spin"
path = "/data/reports.db"

[key_value_store.other]
type = "spin"
path = "data/kv/other.db"
`)
	app := hostApp{metadata: map[string]any{"key_value_stores": []string{"other"}, "databases": []string{"reports"}}}
	cfg := Config{CacheDir: moduleCache, StateDir: t.TempDir(), RuntimeConfigFile: rc, RuntimeConfigName: "/runtime-config.toml",
		RuntimeConfigVolumes: []runtimeconfig.Volume{{Dest: "/data", Source: host}}}

	a, err := loadLock(t, ctx, hostLock(t, app), cfg)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	for _, f := range []string{"reports.db", "kv/other.db"} {
		if _, err := os.Stat(filepath.Join(host, f)); err != nil {
			t.Errorf("database file on the volume: %v", err)
		}
	}

	cfg.RuntimeConfigVolumes = nil
	want := `runtime config /runtime-config.toml: [key_value_store]: "other": path "data/kv/other.db" is /data/kv/other.db in the container, which is on no volume`
	if _, err := loadLock(t, ctx, hostLock(t, app), cfg); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Load error = %v, want it to contain %q", err, want)
	}
}
