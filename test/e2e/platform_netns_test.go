package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/test/e2e/harness"
	"github.com/spinoci/spinoci/test/testio"
)

// TestPlatformRedisInNetns: a container's Redis key-value store on the
// loopback of the network namespace its spec names (`ctr run --with-ns`),
// not the host's. The sandboxed app reaches it; the compile stage, which
// runs in the shim's namespace, does not need to (it opens no store).
func TestPlatformRedisInNetns(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatalf("ip (iproute2) is not installed: %v", err)
	}
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed (test/deps.sh installs it): %v", err)
	}
	reg := harness.StartRegistry(t)
	d := harness.StartContainerd(t, harness.ContainerdLatest)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	ref := harness.Ref(reg.Host, repoPlatform)
	if _, err := harness.Push(ctx, reg.Host, repoPlatform, platformApp(paths), artifact.PackOptions{}); err != nil {
		t.Fatal(err)
	}
	d.Pull(ref)

	// A named network namespace with loopback up, and redis-server in it.
	netns := fmt.Sprintf("spinoci-e2e-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", netns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", netns).Run() })
	if out, err := exec.Command("ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("ip link set lo up: %v\n%s", err, out)
	}
	redisDir := t.TempDir()
	var redisLog testio.Buffer
	srv := exec.Command("ip", "netns", "exec", netns, redisBin, "--bind", "127.0.0.1", "--port", "6379",
		"--dir", redisDir, "--save", "", "--appendonly", "no")
	srv.Stdout, srv.Stderr = &redisLog, &redisLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Kill()
		_ = srv.Wait()
	})
	// ip netns exec executes redis-server in place: its pid is in the namespace.
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dialInNetns(ctx, srv.Process.Pid, network, addr)
	}
	if err := waitFor(10*time.Second, func() bool {
		c, err := dial(ctx, "tcp", "127.0.0.1:6379")
		if err == nil {
			c.Close()
		}
		return err == nil
	}); err != nil {
		t.Fatalf("redis-server does not listen in %s:\n%s", netns, redisLog.String())
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:6379", time.Second); err == nil {
		c.Close()
		t.Log("note: something listens on the host's 127.0.0.1:6379 too")
	}

	rcPath := filepath.Join(harness.TempDir(t, "pfnetns"), "runtime-config.toml")
	rc := "[key_value_store.cache]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:6379\"\n\n[sqlite_database.reports]\ntype = \"spin\"\n"
	if err := os.WriteFile(rcPath, []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	id := "platform-netns"
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	logPath := filepath.Join(t.TempDir(), "app.log")
	if out, code := d.Ctr("run", "-d", "--runtime", harness.RuntimeType, "--log-uri", "file://"+logPath,
		"--with-ns", "network:/var/run/netns/"+netns,
		"--mount", "type=bind,src="+rcPath+",dst=/runtime-config.toml,options=rbind:ro",
		"--env", "SPIN_HTTP_LISTEN_ADDR=127.0.0.1:3000", ref, id); code != 0 {
		t.Fatalf("ctr run -d: exit %d\n%s\napp log:\n%s", code, out, readFile(logPath))
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DialContext: dial}}
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, method, "http://127.0.0.1:3000"+path, strings.NewReader(body))
		req.Header.Set("X-Kv-Store", "cache")
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if err := waitFor(60*time.Second, func() bool { code, _ := do(http.MethodGet, "/.well-known/spin/health", ""); return code == 200 }); err != nil {
		t.Fatalf("the app does not answer in %s\napp log:\n%s", netns, readFile(logPath))
	}
	if code, body := do(http.MethodPut, "/kv/set/netns", "on the namespace's loopback"); code != 200 || body != "ok\n" {
		t.Errorf("PUT /kv/set/netns → %d %q", code, body)
	}
	if code, body := do(http.MethodGet, "/kv/get/netns", ""); code != 200 || body != "on the namespace's loopback" {
		t.Errorf("GET /kv/get/netns → %d %q", code, body)
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", Dialer: dial})
	defer rdb.Close()
	if v, err := rdb.Get(ctx, "netns").Result(); err != nil || v != "on the namespace's loopback" {
		t.Errorf("redis GET netns = %q, %v", v, err)
	}
	stopSpin1(t, d, id)
}
