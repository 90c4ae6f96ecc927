package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	goredis "github.com/redis/go-redis/v9"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/e2e/harness"
	"github.com/spinoci/spinoci/test/servers"
)

const repoOutbound = "e2e/outbound:v1"

// TestOutboundRedis runs spin-host (a Spin 1.x module) through ctr run with
// allowed_outbound_hosts naming a real redis-server: its outbound-redis
// calls reach that server (set, get, incr, publish, execute with Spin's
// result kinds), any other address answers Spin 1.x's error.
func TestOutboundRedis(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	reg := harness.StartRegistry(t)
	d := harness.StartContainerd(t, harness.ContainerdLatest)
	srv := servers.Redis(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if _, err := os.Stat(paths.App(harness.AppSpinHost)); err != nil {
		t.Fatalf("%v (run make testapps)", err)
	}
	raw := func(v any) json.RawMessage {
		b, _ := json.Marshal(v)
		return b
	}
	app := &lock.LockedApp{
		Metadata: map[string]json.RawMessage{"name": raw("outbound"), "trigger": raw(map[string]string{"type": "http", "base": "/"})},
		Components: []lock.Component{{
			ID: "host",
			Source: lock.ComponentSource{ContentType: "application/wasm",
				ContentRef: lock.ContentRef{Source: appdir.FileURI(paths.App(harness.AppSpinHost))}},
			Metadata: map[string]json.RawMessage{
				lock.MetadataAllowedOutboundHosts: raw([]string{fmt.Sprintf("redis://127.0.0.1:%d", srv.Port)}),
			},
		}},
		Triggers: []lock.Trigger{{ID: "t", TriggerType: "http", TriggerConfig: raw(map[string]any{"route": "/...", "component": "host"})}},
	}
	ref := harness.Ref(reg.Host, repoOutbound)
	if _, err := harness.Push(ctx, reg.Host, repoOutbound, app, artifact.PackOptions{}); err != nil {
		t.Fatal(err)
	}
	d.Pull(ref)

	rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	sub := rdb.Subscribe(ctx, "news")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscription's confirmation
		t.Fatal(err)
	}

	id := "outbound-redis"
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	logPath := filepath.Join(t.TempDir(), "app.log")
	args := append([]string{"run", "-d", "--log-uri", "file://" + logPath}, runArgs(addr)...)
	if out, code := d.Ctr(append(args, ref, id)...); code != 0 {
		t.Fatalf("ctr run -d: exit %d\n%s", code, out)
	}
	if _, err := harness.WaitHTTP(ctx, "http://"+addr+"/.well-known/spin/health", 90*time.Second); err != nil {
		t.Fatalf("%v\napp log:\n%s", err, readFile(logPath))
	}
	to := func(address string, params ...string) http.Header {
		h := http.Header{"X-Redis-Address": {address}}
		for i, p := range params {
			h.Set(fmt.Sprintf("X-Param-%d", i+1), p)
		}
		return h
	}
	server := srv.RedisURL()
	denied := fmt.Sprintf("redis://127.0.0.1:%d", harness.FreePort(t))
	check(t, addr,
		exchange{method: http.MethodPut, path: "/redis/set/greeting", send: "hello", header: to(server), status: 200, want: "ok\n"},
		exchange{path: "/redis/get/greeting", header: to(server), status: 200, want: "hello"},
		exchange{path: "/redis/incr/visits", header: to(server), status: 200, want: "1\n"},
		exchange{path: "/redis/incr/visits", header: to(server), status: 200, want: "2\n"},
		exchange{path: "/redis/execute/INCRBY", header: to(server, "visits", "40"), status: 200, want: "int:42\n"},
		exchange{path: "/redis/execute/SET", header: to(server, "k", "v"), status: 200, want: "status:OK\n"},
		exchange{path: "/redis/execute/MGET", header: to(server, "k", "none"), status: 200, want: "binary:v\nnil\n"},
		exchange{method: http.MethodPost, path: "/redis/publish/news", send: "extra", header: to(server), status: 200, want: "ok\n"},
		exchange{path: "/redis/execute/NOSUCH", header: to(server), status: 500, want: "error: error 1\n"},
		exchange{path: "/redis/get/greeting", header: to(denied), status: 500, want: "error: error 1\n"},
		exchange{method: http.MethodPut, path: "/redis/set/greeting", send: "x", header: to("redis://localhost:6379"), status: 500, want: "error: error 1\n"},
	)
	if v, err := rdb.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		t.Errorf("the server's greeting = %q, %v", v, err)
	}
	select {
	case m := <-sub.Channel():
		if m.Payload != "extra" {
			t.Errorf("published %q, want extra", m.Payload)
		}
	case <-time.After(10 * time.Second):
		t.Error("nothing was published on news")
	}
	stopSpin1(t, d, id)
}

// TestOutboundMQTT runs a component publishing with fermyon:spin/mqtt@2.0.0
// (engine/testdata/components/outbound-mqtt.wat) through ctr run: it
// reaches the mosquitto its allowed_outbound_hosts name, and is refused
// any other broker with Spin's connection-failed message.
func TestOutboundMQTT(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	reg := harness.StartRegistry(t)
	d := harness.StartContainerd(t, harness.ContainerdLatest)
	srv := servers.Mosquitto(t, "u", "p")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	wasm := paths.App("outbound-mqtt.wasm")
	if _, err := os.Stat(wasm); err != nil {
		t.Fatalf("%v (run make testapps)", err)
	}
	got := make(chan paho.Message, 1)
	sub := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + srv.Addr()).SetClientID("e2e-sub").SetUsername("u").SetPassword("p"))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	if tok := sub.Subscribe("spin/engine", 1, func(_ paho.Client, m paho.Message) { got <- m }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	raw := func(v any) json.RawMessage {
		b, _ := json.Marshal(v)
		return b
	}
	app := &lock.LockedApp{
		Metadata: map[string]json.RawMessage{"name": raw("outbound-mqtt"), "trigger": raw(map[string]string{"type": "http", "base": "/"})},
		Components: []lock.Component{{
			ID:     "publisher",
			Source: lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Source: appdir.FileURI(wasm)}},
			Metadata: map[string]json.RawMessage{
				lock.MetadataAllowedOutboundHosts: raw([]string{fmt.Sprintf("mqtt://127.0.0.1:%d", srv.Port)}),
			},
		}},
		Triggers: []lock.Trigger{{ID: "t", TriggerType: "http", TriggerConfig: raw(map[string]any{"route": "/...", "component": "publisher"})}},
	}
	const repo = "e2e/outbound-mqtt:v1"
	ref := harness.Ref(reg.Host, repo)
	if _, err := harness.Push(ctx, reg.Host, repo, app, artifact.PackOptions{}); err != nil {
		t.Fatal(err)
	}
	d.Pull(ref)

	id := "outbound-mqtt"
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	logPath := filepath.Join(t.TempDir(), "app.log")
	args := append([]string{"run", "-d", "--log-uri", "file://" + logPath}, runArgs(addr)...)
	if out, code := d.Ctr(append(args, ref, id)...); code != 0 {
		t.Fatalf("ctr run -d: exit %d\n%s", code, out)
	}
	if _, err := harness.WaitHTTP(ctx, "http://"+addr+"/.well-known/spin/health", 90*time.Second); err != nil {
		t.Fatalf("%v\napp log:\n%s", err, readFile(logPath))
	}
	denied := fmt.Sprintf("mqtt://localhost:%d?client_id=e2e", srv.Port)
	check(t, addr,
		exchange{method: http.MethodPost, path: "/hello", send: srv.MQTTURL() + "?client_id=e2e", status: 200},
		exchange{method: http.MethodPost, path: "/", send: denied, status: 452, want: "address " + denied + " is not permitted"},
	)
	select {
	case m := <-got:
		if string(m.Payload()) != "/hello" {
			t.Errorf("received %q, want /hello", m.Payload())
		}
	case <-time.After(10 * time.Second):
		t.Error("nothing was published")
	}
	stopSpin1(t, d, id)
}
