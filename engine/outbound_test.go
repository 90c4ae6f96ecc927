package engine

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/test/servers"
)

// TestOutboundMQTTComponent: a component's fermyon:spin/mqtt@2.0.0 reaches
// the broker its allowed_outbound_hosts name, and only that one.
func TestOutboundMQTTComponent(t *testing.T) {
	srv := servers.Mosquitto(t, "u", "p")
	got := make(chan paho.Message, 1)
	sub := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + srv.Addr()).SetClientID("sub").SetUsername("u").SetPassword("p"))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	if tok := sub.Subscribe("spin/engine", 1, func(_ paho.Client, m paho.Message) { got <- m }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	app := writeLock(t, map[string]any{
		"spin_lock_version": 1,
		"metadata":          map[string]any{"name": "mqtt", "trigger": map[string]any{"base": "/", "type": "http"}},
		"triggers": []any{map[string]any{"id": "t", "trigger_type": "http",
			"trigger_config": map[string]any{"component": "c", "route": "/..."}}},
		"components": []any{map[string]any{
			"id":       "c",
			"source":   map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(watComponent(t, "outbound-mqtt"))},
			"metadata": map[string]any{"allowed_outbound_hosts": []string{fmt.Sprintf("mqtt://127.0.0.1:%d", srv.Port)}},
		}},
	})
	a := load(t, app, Config{StateDir: t.TempDir()})
	expect(t, do(t, a.Handler(), http.MethodPost, "/published", srv.MQTTURL()+"?client_id=engine"), 200, "")
	select {
	case m := <-got:
		if string(m.Payload()) != "/published" {
			t.Errorf("received %q, want the request's uri", m.Payload())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing was published")
	}
	denied := fmt.Sprintf("mqtt://localhost:%d?client_id=engine", srv.Port)
	expect(t, do(t, a.Handler(), http.MethodPost, "/", denied), 452, "address "+denied+" is not permitted")
	expect(t, do(t, a.Handler(), http.MethodPost, "/", srv.MQTTURL()), 450, "") // no client_id: invalid-address
}
