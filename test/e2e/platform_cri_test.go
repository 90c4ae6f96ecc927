package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/e2e/harness"
	"github.com/spinoci/spinoci/test/servers"
)

// TestPlatformCRI runs the platform app in a pod through CRI with its
// runtime config mounted as kubelet mounts volumes: a file at
// /runtime-config.toml (a hostPath file, or a Secret key with subPath),
// then a directory there laid out as a Secret volume is. The config's
// Redis key-value store is a real redis-server on loopback (a
// host-network pod); its SQLite database is at /data/reports.db, on a
// volume at /data, and outlives the containers. A database path on no
// volume fails the container's start, saying what to mount. From the pod
// the app also reaches real Redis, PostgreSQL and MySQL servers through the
// outbound APIs its allowed_outbound_hosts allow, and two component apps in
// the same pod publish to mosquitto (fermyon:spin/mqtt@2.0.0) and talk to
// a TCP echo server (wasi:sockets).
func TestPlatformCRI(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	if _, err := os.Stat(paths.Crictl()); err != nil {
		t.Fatalf("crictl missing (%v): run `make tools`", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	f := startCRIApps(ctx, t, "pfcri")
	rdb, pg, my := servers.Redis(t), servers.Postgres(t), servers.MariaDB(t)
	redisURL := rdb.RedisURL()
	// The platform app, also allowed to reach the servers through the
	// outbound APIs.
	app := spinHostApp(paths, "platform", map[string]any{
		lock.MetadataKeyValueStores:       []string{"default", "cache"},
		lock.MetadataDatabases:            []string{"default", "reports"},
		lock.MetadataAllowedOutboundHosts: []string{"redis://" + rdb.Addr(), "postgres://" + pg.Addr(), "mysql://" + my.Addr()},
	})
	if _, err := harness.Push(ctx, f.reg.Host, repoPlatform, app, artifact.PackOptions{}); err != nil {
		t.Fatal(err)
	}
	// Two more apps for the outbound APIs of components: MQTT and sockets.
	broker, echo := servers.Mosquitto(t, "u", "p"), servers.Echo(t)
	const repoMQTT, repoSocketsCRI = "e2e/platform-mqtt:v1", "e2e/platform-sockets:v1"
	for repo, a := range map[string]*lock.LockedApp{
		repoMQTT:       outboundApp(t, paths.App("outbound-mqtt.wasm"), fmt.Sprintf("mqtt://127.0.0.1:%d", broker.Port)),
		repoSocketsCRI: socketsApp(t, paths, echo),
	} {
		if _, err := harness.Push(ctx, f.reg.Host, repo, a, artifact.PackOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pullForCRI(t, f, criRepoSandbox, repoPlatform, repoMQTT, repoSocketsCRI)
	cri := f.d.Crictl()

	dataDir := filepath.Join(f.dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf("[key_value_store.cache]\ntype = \"redis\"\nurl = %q\n\n[sqlite_database.reports]\ntype = \"spin\"\npath = \"/data/reports.db\"\n", redisURL)
	rcFile := filepath.Join(f.dir, "runtime-config.toml")
	writeTestFile(t, rcFile, config)
	secretDir := kubeletSecretVolume(t, filepath.Join(f.dir, "secret"), "runtime-config.toml", config)
	data := harness.CRIMount{HostPath: dataDir, ContainerPath: "/data"}

	p := runPod(t, f, harness.PodConfig{Name: "platform", HostNetwork: true})
	var ids []string
	start := func(name, repo string, mounts ...harness.CRIMount) string {
		t.Helper()
		addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
		id := startContainer(t, f, p, harness.ContainerConfig{
			Name: name, Image: f.ref(repo), Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addr}, Mounts: mounts,
		})
		ids = append(ids, id)
		if _, err := harness.WaitHTTP(context.Background(), "http://"+addr+"/.well-known/spin/health", 60*time.Second); err != nil {
			out, _ := cri.Run("logs", id)
			t.Fatalf("%v\nlogs:\n%s", err, out)
		}
		return addr
	}
	cache := http.Header{"X-Kv-Store": {"cache"}}

	addr := start("file", repoPlatform, harness.CRIMount{HostPath: rcFile, ContainerPath: "/runtime-config.toml", ReadOnly: true}, data)
	check(t, addr,
		exchange{method: http.MethodPut, path: "/kv/set/pod", send: "through CRI", header: cache, status: 200, want: "ok\n"},
		exchange{path: "/kv/get/pod", header: cache, status: 200, want: "through CRI"},
		exchange{method: http.MethodPost, path: "/sqlite/reports", send: "CREATE TABLE r (v TEXT); INSERT INTO r VALUES ('from the file config')", status: 200, want: "\n"},
		// The outbound APIs from the pod: Redis, PostgreSQL, MySQL.
		exchange{method: http.MethodPut, path: "/redis/set/outbound-pod", send: "outbound", header: http.Header{"X-Redis-Address": {redisURL}}, status: 200, want: "ok\n"},
		exchange{path: "/redis/get/outbound-pod", header: http.Header{"X-Redis-Address": {redisURL}}, status: 200, want: "outbound"},
		exchange{method: http.MethodPost, path: "/pg/execute", send: "CREATE TABLE cri_pods (v int8)", header: http.Header{"X-Db-Url": {pg.PostgresURL()}}, status: 200, want: "rows=0\n"},
		exchange{method: http.MethodPost, path: "/mysql/execute", send: "CREATE TABLE cri_pods (v BIGINT)", header: http.Header{"X-Db-Url": {my.MySQLURL()}}, status: 200, want: "ok\n"},
	)
	if _, err := os.Stat(filepath.Join(dataDir, "reports.db")); err != nil {
		t.Errorf("the database is not on the /data volume: %v", err)
	}

	addr = start("secret", repoPlatform, harness.CRIMount{HostPath: secretDir, ContainerPath: "/runtime-config.toml", ReadOnly: true}, data)
	check(t, addr,
		exchange{path: "/kv/get/pod", header: cache, status: 200, want: "through CRI"},
		exchange{method: http.MethodPost, path: "/sqlite/reports", send: "SELECT v FROM r", status: 200, want: "v\ntext:from the file config\n"},
	)

	// The component apps, with the same runtime config and volume.
	rc := harness.CRIMount{HostPath: rcFile, ContainerPath: "/runtime-config.toml", ReadOnly: true}
	addr = start("mqtt", repoMQTT, rc, data)
	denied := fmt.Sprintf("mqtt://localhost:%d?client_id=cri", broker.Port)
	check(t, addr,
		exchange{method: http.MethodPost, path: "/hello", send: broker.MQTTURL() + "?client_id=cri", status: 200},
		exchange{method: http.MethodPost, path: "/", send: denied, status: 452, want: "address " + denied + " is not permitted"},
	)
	addr = start("sockets", repoSocketsCRI, rc, data)
	check(t, addr,
		exchange{path: fmt.Sprintf("/echo/%d", echo), status: 200, want: "echoed: ping"},
		exchange{path: fmt.Sprintf("/echo/%d", harness.FreePort(t)), status: 403, want: "denied"},
	)

	// Without the /data volume the database is on none: no start.
	id := createContainer(t, f, p, harness.ContainerConfig{
		Name: "novolume", Image: f.ref(repoPlatform), Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": "127.0.0.1:1"},
		Mounts: []harness.CRIMount{{HostPath: rcFile, ContainerPath: "/runtime-config.toml", ReadOnly: true}},
	})
	out, code := cri.Run("start", id)
	if want := "which is on no volume: mount a volume at /data"; code == 0 || !strings.Contains(out, want) {
		t.Errorf("crictl start without /data: exit %d, want an error containing %q:\n%s", code, want, out)
	}
	cri.Run("rm", id)

	for _, c := range ids {
		cri.Must("stop", c)
		cri.Must("rm", c)
	}
	removePod(t, f, p, append(ids, id)...)
}

// kubeletSecretVolume lays dir out as kubelet lays out a Secret volume with one
// key: the file in a timestamped directory, reached through the ..data
// symlink.
func kubeletSecretVolume(t *testing.T, dir, key, content string) string {
	t.Helper()
	stamped := filepath.Join(dir, "..2026_12_03_00_00_00.000000001")
	if err := os.MkdirAll(stamped, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(stamped, key), content)
	for link, target := range map[string]string{"..data": filepath.Base(stamped), key: filepath.Join("..data", key)} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
