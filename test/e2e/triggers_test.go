package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	goredis "github.com/redis/go-redis/v9"

	"github.com/spinoci/spinoci/test/e2e/harness"
	"github.com/spinoci/spinoci/test/servers"
)

// Test apps of the trigger tests.
const (
	appRedisSpin1 = "redis-spin1.wasm"
	appCommandGo  = "command-go.wasm"
	appMQTT       = "mqtt-handler.wasm"

	repoRedis   = "e2e/redis-trigger:v1"
	repoCommand = "e2e/command-trigger:v1"
	repoDocker  = "e2e/docker-built:v1"
	// repoDockerNode is the same image built for the node's platform
	// (docker build without --platform), which CRI unpacks.
	repoDockerNode = "e2e/docker-built-node:v1"
	repoMQTT       = "e2e/mqtt-trigger:v1"
)

// TestTriggers runs, on each pinned containerd through `ctr run`, an app
// whose only trigger is Redis (against a real redis-server), an MQTT app
// (against a real mosquitto, with credentials), a command app
// (the task's exit status is the guest's) and an ordinary image built the
// way `docker buildx` builds one (/spin.toml and the wasm in its rootfs).
func TestTriggers(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	redis := servers.Redis(t)
	mqtt := servers.Mosquitto(t, "spin", "e2e-secret")
	for _, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			reg := harness.StartRegistry(t)
			d := harness.StartContainerd(t, v)
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			pushTriggerApps(ctx, t, paths, reg.Host, redis.RedisURL())
			pushMQTTApp(ctx, t, paths, reg.Host, mqtt.MQTTURL())
			for _, repo := range []string{repoRedis, repoCommand, repoDocker, repoMQTT} {
				d.Pull(harness.Ref(reg.Host, repo))
			}
			t.Run("redis trigger: messages run the component, no HTTP, SIGTERM stops it", func(t *testing.T) {
				testRedisTrigger(t, d, harness.Ref(reg.Host, repoRedis), redis)
			})
			t.Run("mqtt trigger: messages run the component with their topic", func(t *testing.T) {
				testMQTTTrigger(t, d, harness.Ref(reg.Host, repoMQTT), mqtt)
			})
			t.Run("command trigger: runs once, the task exits with its status", func(t *testing.T) {
				testCommandTrigger(t, d, harness.Ref(reg.Host, repoCommand))
			})
			t.Run("docker-built image with /spin.toml in its rootfs", func(t *testing.T) {
				testDockerBuiltImage(t, d, harness.Ref(reg.Host, repoDocker))
			})
		})
	}
}

// pushTriggerApps pushes the Redis app (subscribed at redisURL), the
// command app and the docker-style image.
func pushTriggerApps(ctx context.Context, t *testing.T, paths harness.Paths, host, redisURL string) {
	t.Helper()
	redisWasm, err := paths.ReadApp(appRedisSpin1)
	if err != nil {
		t.Fatal(err)
	}
	layer := harness.WasmLayer(redisWasm)
	lk := triggerLock("e2e-redis", map[string]any{"type": "redis", "address": redisURL}, "redis",
		map[string]any{"channel": "e2e-messages"}, layer.Desc().Digest, nil)
	if _, err := harness.PushSpinB(ctx, host, repoRedis, lk, []harness.Blob{layer}); err != nil {
		t.Fatalf("push %s: %v", repoRedis, err)
	}

	cmdWasm, err := paths.ReadApp(appCommandGo)
	if err != nil {
		t.Fatal(err)
	}
	layer = harness.WasmLayer(cmdWasm)
	lk = triggerLock("e2e-command", map[string]any{"type": "command"}, "command", map[string]any{},
		layer.Desc().Digest, map[string]string{"GREETING": "from a job", "EXIT_STATUS": "3"})
	if _, err := harness.PushSpinB(ctx, host, repoCommand, lk, []harness.Blob{layer}); err != nil {
		t.Fatalf("push %s: %v", repoCommand, err)
	}

	hello, err := paths.ReadApp(harness.AppHello)
	if err != nil {
		t.Fatal(err)
	}
	manifest := `spin_manifest_version = 2
[application]
name = "docker-built"
[[trigger.http]]
route = "/..."
component = "hello"
[component.hello]
source = "app.wasm"
files = [{ source = "static", destination = "/" }]
`
	files := map[string][]byte{
		"spin.toml": []byte(manifest), "app.wasm": hello, "static/index.html": []byte("<h1>docker</h1>\n"),
	}
	for repo, platform := range map[string]ocispec.Platform{
		repoDocker:     {Architecture: "wasm", OS: "wasi"},
		repoDockerNode: {Architecture: runtime.GOARCH, OS: "linux"},
	} {
		if err := pushImage(ctx, host, repo, platform, files); err != nil {
			t.Fatalf("push %s: %v", repo, err)
		}
	}
}

// pushMQTTApp pushes the MQTT app, subscribed to sensors/+ at brokerURL.
func pushMQTTApp(ctx context.Context, t *testing.T, paths harness.Paths, host, brokerURL string) {
	t.Helper()
	wasm, err := paths.ReadApp(appMQTT)
	if err != nil {
		t.Fatal(err)
	}
	layer := harness.WasmLayer(wasm)
	lk := triggerLock("e2e-mqtt", map[string]any{
		"type": "mqtt", "address": brokerURL, "username": "spin", "password": "e2e-secret", "keep_alive_interval": 30,
	}, "mqtt", map[string]any{"topic": "sensors/+", "qos": "1"}, layer.Desc().Digest, nil)
	if _, err := harness.PushSpinB(ctx, host, repoMQTT, lk, []harness.Blob{layer}); err != nil {
		t.Fatalf("push %s: %v", repoMQTT, err)
	}
}

// triggerLock is the pushed lock of an app with one component (source by
// wasmDigest, env) and one trigger of triggerType.
func triggerLock(name string, trigger map[string]any, triggerType string, config map[string]any, wasmDigest digest.Digest, env map[string]string) []byte {
	config["component"] = "app"
	lk := map[string]any{
		"spin_lock_version": 1,
		"metadata":          map[string]any{"name": name, "trigger": trigger},
		"triggers":          []any{map[string]any{"id": "trigger-app", "trigger_type": triggerType, "trigger_config": config}},
		"components": []any{map[string]any{
			"id":     "app",
			"source": map[string]string{"content_type": "application/wasm", "digest": wasmDigest.String()},
			"env":    env,
		}},
	}
	b, err := json.Marshal(lk)
	if err != nil {
		panic(err) // plain maps only
	}
	return b
}

// pushImage pushes an ordinary OCI image for platform, as `docker buildx
// build --platform wasi/wasm` (or without --platform) makes of `FROM
// scratch` and COPY lines: one tar+gzip layer holding files.
func pushImage(ctx context.Context, host, repoTag string, platform ocispec.Platform, files map[string][]byte) error {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	modTime := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	dirs := map[string]bool{}
	for _, name := range sortedNames(files) {
		if dir := filepath.Dir(name); dir != "." && !dirs[dir] {
			dirs[dir] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: modTime}); err != nil {
				return err
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(files[name])), ModTime: modTime}); err != nil {
			return err
		}
		if _, err := tw.Write(files[name]); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(tarBuf.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	cfg := ocispec.Image{
		Platform: platform,
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(tarBuf.Bytes())}},
	}
	cb, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	_, err = harness.PushManifest(ctx, host, repoTag,
		harness.Blob{MediaType: ocispec.MediaTypeImageConfig, Data: cb},
		[]harness.Blob{{MediaType: ocispec.MediaTypeImageLayerGzip, Data: gz.Bytes()}})
	return err
}

func sortedNames(m map[string][]byte) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// subscribedClient returns a client of redis (closed after the test) once
// the app has subscribed to e2e-messages: PUBLISH answers how many
// subscribers got a message. logs gives the app's output for the failure.
func subscribedClient(t *testing.T, redis *servers.Server, logs func() string) *goredis.Client {
	t.Helper()
	client := goredis.NewClient(&goredis.Options{Addr: redis.Addr()})
	t.Cleanup(func() { client.Close() })
	if err := waitFor(60*time.Second, func() bool {
		n, err := client.Publish(context.Background(), "e2e-messages", "warm-up").Result()
		return err == nil && n == 1
	}); err != nil {
		t.Fatalf("the app never subscribed to e2e-messages\napp output:\n%s", logs())
	}
	return client
}

// inOrder reports whether s holds each of lines, in that order (other
// output, such as the app's log on stderr, may come between them).
func inOrder(s string, lines ...string) bool {
	for _, l := range lines {
		i := strings.Index(s, l)
		if i < 0 {
			return false
		}
		s = s[i+len(l):]
	}
	return true
}

func testRedisTrigger(t *testing.T, d *harness.Containerd, ref string, redis *servers.Server) {
	d = d.For(t)
	id := "redis-trigger"
	logPath := filepath.Join(t.TempDir(), "app.log")
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	if out, code := d.Ctr("run", "-d", "--log-uri", "file://"+logPath, "--net-host", "--runtime", harness.RuntimeType, ref, id); code != 0 {
		t.Fatalf("ctr run -d: exit %d\n%s", code, out)
	}
	client := subscribedClient(t, redis, func() string { return readFile(logPath) })
	for i := range 3 {
		if err := client.Publish(context.Background(), "e2e-messages", fmt.Sprintf("message %d", i)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Messages are handled in order. The handler's error case is logged;
	// the app goes on.
	if err := client.Publish(context.Background(), "e2e-messages", "fail please").Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.Publish(context.Background(), "e2e-messages", "after the failure").Err(); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(10*time.Second, func() bool {
		log := readFile(logPath)
		return inOrder(log, "redis message: message 0\n", "redis message: message 1\n", "redis message: message 2\n",
			"redis message: fail please\n", "redis message: after the failure\n") &&
			strings.Contains(log, "the guest returned an error")
	}); err != nil {
		t.Errorf("the messages (and the failure) did not reach the app's output:\n%s", readFile(logPath))
	}
	if strings.Contains(readFile(logPath), "serving Spin app") {
		t.Errorf("an app without HTTP triggers serves HTTP:\n%s", readFile(logPath))
	}
	if st := d.TaskStatus(id); st != "RUNNING" {
		t.Errorf("task is %q, want RUNNING", st)
	}
	stopDetached(t, d, id)
}

// stopDetached stops a detached task with SIGTERM and checks that it ends
// within stopGrace with status 0, then removes it and checks that nothing
// is left.
func stopDetached(t *testing.T, d *harness.Containerd, id string) {
	t.Helper()
	start := time.Now()
	if out, code := d.Ctr("task", "kill", id); code != 0 {
		t.Fatalf("ctr task kill: exit %d\n%s", code, out)
	}
	if _, err := d.WaitTaskStatus(id, "STOPPED", 10*time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v", err)
	}
	if took := time.Since(start); took > stopGrace {
		t.Errorf("SIGTERM took %v, want ≤ %v", took, stopGrace)
	}
	if out, _ := d.Ctr("task", "rm", id); strings.Contains(out, "exit code") {
		t.Errorf("ctr task rm: a non-zero exit status after SIGTERM:\n%s", out)
	}
	if out, code := d.Ctr("container", "rm", id); code != 0 {
		t.Errorf("ctr container rm: exit %d\n%s", code, out)
	}
	assertNoLeftovers(t, d, id)
}

func testMQTTTrigger(t *testing.T, d *harness.Containerd, ref string, broker *servers.Server) {
	d = d.For(t)
	id := "mqtt-trigger"
	logPath := filepath.Join(t.TempDir(), "app.log")
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	if out, code := d.Ctr("run", "-d", "--log-uri", "file://"+logPath, "--net-host", "--runtime", harness.RuntimeType, ref, id); code != 0 {
		t.Fatalf("ctr run -d: exit %d\n%s", code, out)
	}
	pub := paho.NewClient(paho.NewClientOptions().AddBroker(broker.MQTTURL()).
		SetClientID("e2e-publisher").SetUsername("spin").SetPassword("e2e-secret"))
	if tok := pub.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer pub.Disconnect(100)
	publish := func(topic, payload string) {
		if tok := pub.Publish(topic, 1, false, payload); tok.Wait() && tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	// Until the app has subscribed, messages are dropped: publish until one
	// is seen.
	if err := waitFor(60*time.Second, func() bool {
		publish("sensors/kitchen", "21.5")
		publish("sensors/kitchen", "fault")
		time.Sleep(100 * time.Millisecond)
		return strings.Contains(readFile(logPath), "other(sensors/kitchen)")
	}); err != nil {
		t.Fatalf("the app never handled a message on sensors/kitchen\napp log:\n%s", readFile(logPath))
	}
	publish("sensors/garage", "fault")
	publish("other/topic", "fault")
	if err := waitFor(10*time.Second, func() bool {
		return strings.Contains(readFile(logPath), "other(sensors/garage)")
	}); err != nil {
		t.Errorf("sensors/garage was not handled:\n%s", readFile(logPath))
	}
	if log := readFile(logPath); strings.Contains(log, "other(other/topic)") || strings.Contains(log, "serving Spin app") {
		t.Errorf("an unsubscribed topic was handled, or HTTP served:\n%s", log)
	}
	stopDetached(t, d, id)
}

func testCommandTrigger(t *testing.T, d *harness.Containerd, ref string) {
	d = d.For(t)
	id := "command-trigger"
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, code := d.CtrContext(ctx, "run", "--rm", "--runtime", harness.RuntimeType, ref, id)
	if code != 3 {
		t.Errorf("ctr run: exit %d, want the guest's 3\n%s", code, out)
	}
	if !strings.Contains(out, "command says from a job") || !strings.Contains(out, "command stderr") {
		t.Errorf("ctr run output lacks the guest's stdout and stderr:\n%s", out)
	}
	assertNoLeftovers(t, d, id)
}

func testDockerBuiltImage(t *testing.T, d *harness.Containerd, ref string) {
	d = d.For(t)
	id := "docker-built"
	addr, _ := d.RunDetached(t.Context(), ref, id, harness.RunOptions{LogPath: filepath.Join(t.TempDir(), "app.log")})
	expect(t, addr, request{path: "/", status: 200, want: helloBody})
	stopDetached(t, d, id)
}

// TestTriggersCRI runs the Redis app in a pod through containerd's CRI
// plugin (latest containerd): messages published reach the guest, whose
// output `crictl logs` shows, and stopping the container ends it cleanly.
// The docker-style image (/spin.toml in its rootfs, its layer tar built
// here), pulled through CRI, serves in the same pod.
func TestTriggersCRI(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	redis := servers.Redis(t)
	f := &criFixture{version: harness.ContainerdLatest, reg: harness.StartRegistry(t), dir: harness.TempDir(t, "sctrig")}
	d := harness.StartContainerdWith(t, f.version, harness.ContainerdOptions{
		CRI: &harness.CRIOptions{SandboxImage: f.ref(criRepoSandbox)},
	})
	f.d = d.InNamespace(harness.CRINamespace)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if _, err := harness.PushLinuxImage(ctx, f.reg.Host, criRepoSandbox,
		[]harness.TarFile{{Name: "pause", Mode: 0o755, Data: []byte("#!/bin/sh\nexit 1\n")}}, []string{"/pause"}); err != nil {
		t.Fatalf("push sandbox image: %v", err)
	}
	pushTriggerApps(ctx, t, paths, f.reg.Host, redis.RedisURL())
	for _, repo := range []string{criRepoSandbox, repoRedis} {
		f.d.Pull(f.ref(repo))
	}
	cri := f.d.Crictl()
	// As the kubelet does: through CRI, which unpacks the image's layers
	// (only for the node's platform).
	cri.Must("pull", f.ref(repoDockerNode))
	if err := waitFor(30*time.Second, func() bool {
		out, _ := cri.Quiet("images", "-q")
		return strings.Count(out, "sha256:") >= 3
	}); err != nil {
		out, _ := cri.Run("images")
		t.Fatalf("CRI does not list the pulled images: %s", out)
	}

	p := runPod(t, f, harness.PodConfig{Name: "redis-trigger", HostNetwork: true})
	id := startContainer(t, f, p, harness.ContainerConfig{Name: "app", Image: f.ref(repoRedis)})
	client := subscribedClient(t, redis, func() string { out, _ := cri.Quiet("logs", id); return out })
	if err := client.Publish(context.Background(), "e2e-messages", "through CRI").Err(); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(10*time.Second, func() bool {
		out, _ := cri.Quiet("logs", id)
		return strings.Contains(out, "redis message: through CRI")
	}); err != nil {
		out, _ := cri.Run("logs", id)
		t.Errorf("crictl logs lacks the handled message:\n%s", out)
	}
	// With a grace period, stop is a SIGTERM: the trigger stops cleanly.
	cri.Must("stop", "--timeout", "10", id)
	st, err := cri.Inspect(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status.State != "CONTAINER_EXITED" || st.Status.ExitCode != 0 {
		t.Errorf("after stop: %s, exit code %d; want CONTAINER_EXITED, 0", st.Status.State, st.Status.ExitCode)
	}
	cri.Must("rm", id)

	// A docker-built image: its rootfs (mounted by CRI's snapshotter) holds
	// the app.
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	docker := startContainer(t, f, p, harness.ContainerConfig{Name: "docker-built", Image: f.ref(repoDockerNode),
		Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addr}})
	if _, err := harness.WaitHTTP(t.Context(), "http://"+addr+"/", 60*time.Second); err != nil {
		out, _ := cri.Run("logs", docker)
		t.Fatalf("docker-built image under CRI: %v\nlogs:\n%s", err, out)
	}
	expect(t, addr, request{path: "/", status: 200, want: helloBody})
	cri.Must("stop", "--timeout", "10", docker)
	if st, err := cri.Inspect(docker); err != nil || st.Status.ExitCode != 0 {
		t.Errorf("docker-built container after crictl stop: %+v %v, want exit 0", st.Status, err)
	}
	cri.Must("rm", docker)
	removePod(t, f, p, id, docker)
}
