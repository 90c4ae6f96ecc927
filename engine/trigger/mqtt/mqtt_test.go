package mqtt

import (
	"context"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/spinoci/spinoci/engine/trigger/internal/triggertest"
	"github.com/spinoci/spinoci/test/servers"
)

// TestTriggerDelivers: with the broker's credentials, messages published
// on a subscribed topic (wildcards included) reach its handler, with the
// topic; cancelling stops the trigger.
func TestTriggerDelivers(t *testing.T) {
	broker := servers.Mosquitto(t, "spin", "s3cret").MQTTURL()
	temps := triggertest.NewRecorder("temps")
	alerts := triggertest.NewRecorder("alerts")
	subscribed := make(chan struct{}, 2)
	trig := &Trigger{
		Broker:        Broker{Address: broker, Username: "spin", Password: "s3cret", KeepAlive: 5 * time.Second},
		Subscriptions: []Subscription{{Topic: "sensors/+/temp", QoS: 1, Handler: temps}, {Topic: "alerts", QoS: 0, Handler: alerts}},
		Subscribed:    func() { subscribed <- struct{}{} },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- trig.Run(ctx) }()
	select {
	case <-subscribed:
	case <-time.After(15 * time.Second):
		t.Fatal("the trigger did not subscribe")
	}

	opts := paho.NewClientOptions().AddBroker(broker).SetClientID("test-publisher").SetUsername("spin").SetPassword("s3cret")
	pub := paho.NewClient(opts)
	if tok := pub.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer pub.Disconnect(100)
	publish := func(topic, payload string) {
		t.Helper()
		if tok := pub.Publish(topic, 1, false, payload); tok.Wait() && tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	publish("sensors/kitchen/temp", "21.5")
	temps.Expect(t, "sensors/kitchen/temp:21.5")
	publish("alerts", "smoke")
	alerts.Expect(t, "alerts:smoke")
	publish("sensors/kitchen/humidity", "40")
	temps.ExpectNone(t, 200*time.Millisecond)

	triggertest.Stop(t, cancel, done)
}

// TestTriggerWrongPassword: a refused connection is logged and retried,
// nothing is delivered, and the trigger still stops when cancelled.
func TestTriggerWrongPassword(t *testing.T) {
	broker := servers.Mosquitto(t, "spin", "s3cret").MQTTURL()
	subscribed := make(chan struct{}, 1)
	trig := &Trigger{
		Broker:        Broker{Address: broker, Username: "spin", Password: "wrong"},
		Subscriptions: []Subscription{{Topic: "alerts", Handler: triggertest.NewRecorder("r")}},
		Subscribed:    func() { subscribed <- struct{}{} },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := trig.Run(ctx); err != nil {
		t.Errorf("Run: %v", err)
	}
	select {
	case <-subscribed:
		t.Error("subscribed with a wrong password")
	default:
	}
}
