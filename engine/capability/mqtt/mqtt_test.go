package mqtt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/spinoci/spinoci/engine/capability/network/networktest"
	"github.com/spinoci/spinoci/test/servers"
)

// subscribe subscribes to topic on the broker and returns the messages.
func subscribe(t *testing.T, srv *servers.Server, topic string) <-chan paho.Message {
	t.Helper()
	got := make(chan paho.Message, 10)
	opts := paho.NewClientOptions().AddBroker("tcp://" + srv.Addr()).SetClientID("test-sub").SetUsername("u").SetPassword("p")
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	if tok := c.Subscribe(topic, 2, func(_ paho.Client, m paho.Message) { got <- m }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return got
}

func TestPublish(t *testing.T) {
	ctx := context.Background()
	srv := servers.Mosquitto(t, "u", "p")
	got := subscribe(t, srv, "spin/#")
	cs := NewAccess(networktest.AllowList(t, fmt.Sprintf("mqtt://127.0.0.1:%d", srv.Port))).Connections()
	defer cs.Close()
	c, err := cs.Open(srv.MQTTURL()+"?client_id=spin-test", "u", "p", 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, qos := range []QoS{AtMostOnce, AtLeastOnce, ExactlyOnce} {
		topic := fmt.Sprintf("spin/qos%d", qos)
		if err := c.Publish(ctx, topic, []byte{byte(qos), 0, 255}, qos); err != nil {
			t.Fatalf("publish qos %d: %v", qos, err)
		}
		select {
		case m := <-got:
			if m.Topic() != topic || string(m.Payload()) != string([]byte{byte(qos), 0, 255}) || m.Qos() != byte(qos) {
				t.Errorf("received %s %v qos %d, want %s qos %d", m.Topic(), m.Payload(), m.Qos(), topic, qos)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("qos %d: nothing received", qos)
		}
	}
	for _, topic := range []string{"", "spin/+", "spin/#"} {
		var cf *ConnectionFailed
		if err := c.Publish(ctx, topic, nil, AtMostOnce); err == nil || errors.As(err, &cf) {
			t.Errorf("publish to %q = %v, want other", topic, err)
		}
	}
}

func TestOpenAndConnectErrors(t *testing.T) {
	ctx := context.Background()
	srv := servers.Mosquitto(t, "u", "p")
	free := servers.FreePort(t)
	cs := NewAccess(networktest.AllowList(t, "mqtt://127.0.0.1:*")).Connections()
	defer cs.Close()
	for _, addr := range []string{
		"127.0.0.1:1883", "http://127.0.0.1:1883?client_id=x", "mqtt://?client_id=x", "mqtt://127.0.0.1:99999?client_id=x",
		srv.MQTTURL(), srv.MQTTURL() + "?client_id=", srv.MQTTURL() + "?client_id=x&retain=1", srv.MQTTURL() + "?client_id=x&clean_session=maybe",
	} {
		if _, err := cs.Open(addr, "u", "p", 0); !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("Open(%q) = %v, want ErrInvalidAddress", addr, err)
		}
	}
	var cf *ConnectionFailed
	denied := "mqtt://localhost:1883?client_id=x"
	if _, err := cs.Open(denied, "u", "p", 0); !errors.As(err, &cf) || cf.Reason != "address "+denied+" is not permitted" {
		t.Errorf("Open(denied) = %v, want connection-failed not permitted", err)
	}
	if _, err := (*Access)(nil).Connections().Open(srv.MQTTURL()+"?client_id=x", "u", "p", 0); !errors.As(err, &cf) {
		t.Errorf("nil Access: %v", err)
	}
	wrong, err := cs.Open(srv.MQTTURL()+"?client_id=x&clean_session=false", "u", "wrong", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := wrong.Publish(ctx, "t", nil, AtLeastOnce); !errors.As(err, &cf) || !strings.Contains(cf.Reason, "not Authorized") {
		t.Errorf("publish with a wrong password = %v, want connection-failed not Authorized", err)
	}
	nobody, err := cs.Open(fmt.Sprintf("mqtt://127.0.0.1:%d?client_id=x", free), "u", "p", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := nobody.Publish(ctx, "t", nil, AtMostOnce); !errors.As(err, &cf) {
		t.Errorf("publish to no broker = %v, want connection-failed", err)
	}
}

func TestConnectionLimit(t *testing.T) {
	cs := NewAccess(networktest.AllowList(t, "mqtt://127.0.0.1:*")).Connections()
	var conns []*Conn
	for range MaxConnections {
		c, err := cs.Open("mqtt://127.0.0.1:1883?client_id=x", "", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	if _, err := cs.Open("mqtt://127.0.0.1:1883?client_id=x", "", "", 0); !errors.Is(err, ErrTooManyConnections) {
		t.Fatalf("connection %d: %v, want ErrTooManyConnections", MaxConnections+1, err)
	}
	conns[0].Close()
	conns[0].Close()
	if _, err := cs.Open("mqtt://127.0.0.1:1883?client_id=x", "", "", 0); err != nil {
		t.Errorf("after a close: %v", err)
	}
	cs.Close()
	if len(cs.open) != 0 {
		t.Errorf("%d connections open after Close", len(cs.open))
	}
}
