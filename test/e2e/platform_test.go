package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/engine/capability/sqlite"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/e2e/harness"
	"github.com/spinoci/spinoci/test/servers"
	"github.com/spinoci/spinoci/test/testio"
)

const repoPlatform = "e2e/platform:v1"

// platformApp is spin-host at /... with key_value_stores ["default",
// "cache"] and sqlite_databases ["default", "reports"]: "cache" and
// "reports" exist only when a runtime config declares them.
func platformApp(paths harness.Paths) *lock.LockedApp {
	return spinHostApp(paths, "platform", map[string]any{
		lock.MetadataKeyValueStores: []string{"default", "cache"},
		lock.MetadataDatabases:      []string{"default", "reports"},
	})
}

// spinHostApp is app name: spin-host at /... with the component metadata
// given.
func spinHostApp(paths harness.Paths, name string, metadata map[string]any) *lock.LockedApp {
	raw := func(v any) json.RawMessage {
		b, _ := json.Marshal(v)
		return b
	}
	meta := map[string]json.RawMessage{}
	for k, v := range metadata {
		meta[k] = raw(v)
	}
	return &lock.LockedApp{
		Metadata: map[string]json.RawMessage{
			"name":    raw(name),
			"trigger": raw(map[string]string{"type": "http", "base": "/"}),
		},
		Components: []lock.Component{{
			ID: "host",
			Source: lock.ComponentSource{ContentType: "application/wasm",
				ContentRef: lock.ContentRef{Source: appdir.FileURI(paths.App(harness.AppSpinHost))}},
			Metadata: meta,
		}},
		Triggers: []lock.Trigger{{ID: "t", TriggerType: "http", TriggerConfig: raw(map[string]any{"route": "/...", "component": "host"})}},
	}
}

// TestPlatformRuntimeConfig runs an app whose stores and databases come
// from a runtime config bind-mounted at /runtime-config.toml: a Redis
// key-value store (a real redis-server) and SQLite databases, kept across
// containers; without the file the app does not start, naming the label.
func TestPlatformRuntimeConfig(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	reg := harness.StartRegistry(t)
	redisURL := servers.Redis(t).RedisURL()
	if _, err := os.Stat(paths.App(harness.AppSpinHost)); err != nil {
		t.Fatalf("%v (run make testapps)", err)
	}
	ref := harness.Ref(reg.Host, repoPlatform)
	if _, err := harness.Push(t.Context(), reg.Host, repoPlatform, platformApp(paths), artifact.PackOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) { testPlatformRuntimeConfig(t, v, ref, redisURL) })
	}
	t.Run("spinoci run --runtime-config-file", func(t *testing.T) { testPlatformCLI(t, paths, ref, redisURL) })
}

// testPlatformCLI runs the app with `spinoci run --runtime-config-file`:
// no container, so the file's paths are the host's, relative ones
// relative to the file.
func testPlatformCLI(t *testing.T, paths harness.Paths, ref, redisURL string) {
	dir := t.TempDir()
	rcPath := filepath.Join(dir, "runtime-config.toml")
	rc := fmt.Sprintf("[key_value_store.cache]\ntype = \"redis\"\nurl = %q\n\n[sqlite_database.reports]\ntype = \"spin\"\npath = \"data/reports.db\"\n", redisURL)
	if err := os.WriteFile(rcPath, []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	cmd := exec.Command(paths.CLI(), "run", ref, "--plain-http", "--cache-dir", t.TempDir(), "--runtime-config-file", rcPath, "--listen", addr)
	var output testio.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatalf("spinoci run: %v (run make build)", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	if _, err := harness.WaitHTTP(t.Context(), "http://"+addr+"/.well-known/spin/health", time.Minute); err != nil {
		t.Fatalf("%v\noutput:\n%s", err, output.String())
	}
	check(t, addr,
		exchange{method: http.MethodPut, path: "/kv/set/cli", send: "from spinoci run", header: http.Header{"X-Kv-Store": {"cache"}}, status: 200, want: "ok\n"},
		exchange{method: http.MethodPost, path: "/sqlite/reports", send: "CREATE TABLE c (v TEXT)", status: 200, want: "\n"},
	)
	if _, err := os.Stat(filepath.Join(dir, "data", "reports.db")); err != nil {
		t.Errorf("the database is not next to the runtime config: %v", err)
	}
}

func testPlatformRuntimeConfig(t *testing.T, version, ref, redisURL string) {
	d := harness.StartContainerd(t, version)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	d.Pull(ref)

	// Not t.TempDir(): its name holds commas, which ctr --mount cannot take.
	dir := harness.TempDir(t, "platform")
	stateDir := filepath.Join(dir, "state")
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The runtime config's paths are the container's: reports.db is on
	// the volume mounted at /data.
	dataDir := filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	reports := filepath.Join(dataDir, "reports.db")
	rcPath := filepath.Join(dir, "runtime-config.toml")
	rc := fmt.Sprintf("[key_value_store.cache]\ntype = \"redis\"\nurl = %q\n\n[sqlite_database.reports]\ntype = \"spin\"\npath = \"/data/reports.db\"\n", redisURL)
	if err := os.WriteFile(rcPath, []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	id := "platform"
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	logPath := filepath.Join(t.TempDir(), "app.log")
	stateMount := "type=bind,src=" + stateDir + ",dst=/.spin,options=rbind:rw"
	rcMount := "type=bind,src=" + rcPath + ",dst=/runtime-config.toml,options=rbind:ro"
	dataMount := "type=bind,src=" + dataDir + ",dst=/data,options=rbind:rw"

	// Without the runtime config, "cache" is not defined: no start.
	args := append([]string{"run", "--rm", "--log-uri", "file://" + logPath, "--mount", stateMount}, runArgs(addr)...)
	out, code := d.CtrContext(ctx, append(args, ref, id)...)
	t.Logf("ctr run without a runtime config exited %d:\n%s", code, out)
	if want := `key-value store "cache" is not defined`; code == 0 || !strings.Contains(out, want) {
		t.Errorf("without a runtime config: exit %d, want an error containing %q", code, want)
	}
	assertNoLeftovers(t, d, id)

	// Without a volume at /data, the database's path is on none: no start.
	args = append([]string{"run", "--rm", "--log-uri", "file://" + logPath, "--mount", stateMount, "--mount", rcMount}, runArgs(addr)...)
	out, code = d.CtrContext(ctx, append(args, ref, id)...)
	t.Logf("ctr run without /data exited %d:\n%s", code, out)
	if want := `runtime config /runtime-config.toml: sqlite_database.reports.path = "/data/reports.db" is /data/reports.db in the container, which is on no volume: mount a volume at /data`; code == 0 || !strings.Contains(out, want) {
		t.Errorf("without /data: exit %d, want an error containing %q", code, want)
	}
	assertNoLeftovers(t, d, id)

	run := func() {
		t.Helper()
		d.RunDetached(t.Context(), ref, id, harness.RunOptions{
			Addr: addr, LogPath: logPath, Flags: []string{"--mount", stateMount, "--mount", rcMount, "--mount", dataMount},
			Probe: "/.well-known/spin/health", Timeout: 90 * time.Second,
		})
	}
	cache := http.Header{"X-Kv-Store": {"cache"}}
	param := func(vs ...string) http.Header {
		h := http.Header{}
		for i, v := range vs {
			h.Set(fmt.Sprintf("X-Param-%d", i+1), v)
		}
		return h
	}
	run()
	check(t, addr,
		exchange{method: http.MethodPut, path: "/kv/set/greeting", send: "from redis", header: cache, status: 200, want: "ok\n"},
		exchange{path: "/kv/get/greeting", header: cache, status: 200, want: "from redis"},
		exchange{path: "/kv/incr/visits", status: 200, want: "1\n"}, // "default": SQLite under /.spin
		exchange{path: "/kv/open/secret", status: 403, want: "error: access-denied\n"},
		exchange{method: http.MethodPost, path: "/sqlite/reports", send: "CREATE TABLE r (name TEXT, n INTEGER, x REAL, b BLOB, z)", status: 200, want: "\n"},
		exchange{method: http.MethodPost, path: "/sqlite/reports", send: "INSERT INTO r VALUES (?, 42, 0.5, x'cafe', NULL)",
			header: param("first"), status: 200, want: "\n"},
		exchange{method: http.MethodPost, path: "/sqlite/reports", send: "SELECT * FROM r", status: 200,
			want: "name|n|x|b|z\ntext:first|int:42|real:0.5|blob:cafe|null\n"},
		exchange{method: http.MethodPost, path: "/sqlite/default", send: "CREATE TABLE d (v TEXT); INSERT INTO d VALUES ('kept')", status: 200, want: "\n"},
		exchange{method: http.MethodPost, path: "/sqlite/secret", send: "SELECT 1", status: 500, want: "error: access-denied\n"},
		exchange{method: http.MethodPost, path: "/sqlite/default", send: "SELECT * FROM nowhere", status: 500, contains: []string{"error: io: "}},
	)
	stopSpin1(t, d, id)

	// The Redis server holds the "cache" store's key; the SQLite files are
	// where the runtime config and /.spin put them.
	opts, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	if v, err := rdb.Get(ctx, "greeting").Result(); err != nil || v != "from redis" {
		t.Errorf("redis GET greeting = %q, %v", v, err)
	}
	for _, f := range []string{reports, filepath.Join(stateDir, sqlite.DefaultFileName)} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("database file: %v", err)
		}
	}

	// A new container with the same mounts sees everything.
	run()
	check(t, addr,
		exchange{path: "/kv/get/greeting", header: cache, status: 200, want: "from redis"},
		exchange{path: "/kv/incr/visits", status: 200, want: "2\n"},
		exchange{method: http.MethodPost, path: "/sqlite/reports", send: "SELECT name FROM r", status: 200, want: "name\ntext:first\n"},
		exchange{method: http.MethodPost, path: "/sqlite/default", send: "SELECT v FROM d", status: 200, want: "v\ntext:kept\n"},
	)
	stopSpin1(t, d, id)

	// The database file alone as the volume (a Kubernetes subPath mount):
	// SQLite writes its journal beside it, in the container's directory.
	dataMount = "type=bind,src=" + reports + ",dst=/data/reports.db,options=rbind:rw"
	run()
	check(t, addr,
		exchange{method: http.MethodPost, path: "/sqlite/reports", send: "INSERT INTO r VALUES ('second', 2, 0, x'', NULL)", status: 200, want: "\n"},
		exchange{method: http.MethodPost, path: "/sqlite/reports", send: "SELECT name FROM r ORDER BY n", status: 200, want: "name\ntext:second\ntext:first\n"},
	)
	stopSpin1(t, d, id)
}
