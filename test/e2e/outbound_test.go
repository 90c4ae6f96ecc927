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

// outboundApp is an HTTP app of one component, wasm on /..., whose
// allowed_outbound_hosts is allowed.
func outboundApp(t *testing.T, wasm string, allowed ...string) *lock.LockedApp {
	t.Helper()
	if _, err := os.Stat(wasm); err != nil {
		t.Fatalf("%v (run make testapps)", err)
	}
	raw := func(v any) json.RawMessage {
		b, _ := json.Marshal(v)
		return b
	}
	return &lock.LockedApp{
		Metadata: map[string]json.RawMessage{"name": raw("outbound"), "trigger": raw(map[string]string{"type": "http", "base": "/"})},
		Components: []lock.Component{{
			ID:       "c",
			Source:   lock.ComponentSource{ContentType: "application/wasm", ContentRef: lock.ContentRef{Source: appdir.FileURI(wasm)}},
			Metadata: map[string]json.RawMessage{lock.MetadataAllowedOutboundHosts: raw(allowed)},
		}},
		Triggers: []lock.Trigger{{ID: "t", TriggerType: "http", TriggerConfig: raw(map[string]any{"route": "/...", "component": "c"})}},
	}
}

// runOutbound pushes app to a new registry and runs it through ctr run on
// a new containerd of version v; it returns the containerd, the container
// id and the app's address.
func runOutbound(t *testing.T, v string, app *lock.LockedApp) (*harness.Containerd, string, string) {
	t.Helper()
	reg := harness.StartRegistry(t)
	d := harness.StartContainerd(t, v)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const repo = "e2e/outbound:v1"
	ref := harness.Ref(reg.Host, repo)
	if _, err := harness.Push(ctx, reg.Host, repo, app, artifact.PackOptions{}); err != nil {
		t.Fatal(err)
	}
	d.Pull(ref)
	id := "outbound"
	addr, _ := d.RunDetached(ctx, ref, id, harness.RunOptions{
		LogPath: filepath.Join(t.TempDir(), "app.log"), Probe: "/.well-known/spin/health", Timeout: 90 * time.Second,
	})
	return d, id, addr
}

// TestOutboundRedis runs spin-host (a Spin 1.x module) through ctr run on
// each pinned containerd with allowed_outbound_hosts naming a real
// redis-server: its outbound-redis calls reach that server (set, get,
// incr, publish, execute with Spin's result kinds); any other address
// answers Spin 1.x's error.
func TestOutboundRedis(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	srv := servers.Redis(t)
	app := outboundApp(t, paths.App(harness.AppSpinHost), fmt.Sprintf("redis://127.0.0.1:%d", srv.Port))
	rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	sub := rdb.Subscribe(t.Context(), "news")
	defer sub.Close()
	if _, err := sub.Receive(t.Context()); err != nil { // the subscription's confirmation
		t.Fatal(err)
	}
	for _, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			if err := rdb.FlushAll(t.Context()).Err(); err != nil {
				t.Fatal(err)
			}
			d, id, addr := runOutbound(t, v, app)
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
			if got, err := rdb.Get(t.Context(), "greeting").Result(); err != nil || got != "hello" {
				t.Errorf("the server's greeting = %q, %v", got, err)
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
		})
	}
}

// TestOutboundMQTT runs a component publishing with fermyon:spin/mqtt@2.0.0
// (engine/testdata/components/outbound-mqtt.wat) through ctr run on each
// pinned containerd: it reaches the mosquitto its allowed_outbound_hosts
// name, and is refused any other broker with Spin's connection-failed
// message.
func TestOutboundMQTT(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	srv := servers.Mosquitto(t, "u", "p")
	app := outboundApp(t, paths.App("outbound-mqtt.wasm"), fmt.Sprintf("mqtt://127.0.0.1:%d", srv.Port))
	got := make(chan paho.Message, 1)
	sub := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + srv.Addr()).SetClientID("e2e-sub").SetUsername("u").SetPassword("p"))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	if tok := sub.Subscribe("spin/engine", 1, func(_ paho.Client, m paho.Message) { got <- m }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	for _, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			d, id, addr := runOutbound(t, v, app)
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
		})
	}
}
