package mqtt

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// startBroker starts mosquitto on 127.0.0.1 at a free port, accepting only
// user/password; it is stopped at the end of the test.
func startBroker(t *testing.T, username, password string) string {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		t.Skip("mosquitto is not installed (test/deps.sh installs it)")
	}
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "passwd")
	if out, err := exec.Command("mosquitto_passwd", "-b", "-c", pwFile, username, password).CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := filepath.Join(dir, "mosquitto.conf")
	port := addr[len("127.0.0.1:"):]
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	// user: as root, mosquitto would switch to user mosquitto, which cannot
	// read the test's private directory.
	text := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous false\npassword_file %s\npersistence false\nuser %s\n",
		port, pwFile, me.Username)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf)
	cmd.Dir = dir
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("mosquitto's output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not listen on %s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "mqtt://" + addr
}

type recorder struct {
	id  string
	got chan string
}

func (r *recorder) Component() string { return r.id }

func (r *recorder) HandleMessage(_ context.Context, topic string, payload []byte) error {
	r.got <- topic + ":" + string(payload)
	return nil
}

func expectMessage(t *testing.T, r *recorder, want string) {
	t.Helper()
	select {
	case got := <-r.got:
		if got != want {
			t.Errorf("%s got %q, want %q", r.id, got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s got no message (want %q)", r.id, want)
	}
}

// TestTriggerDelivers: with the broker's credentials, messages published
// on a subscribed topic (wildcards included) reach its handler, with the
// topic; cancelling stops the trigger.
func TestTriggerDelivers(t *testing.T) {
	broker := startBroker(t, "spin", "s3cret")
	temps := &recorder{id: "temps", got: make(chan string, 8)}
	alerts := &recorder{id: "alerts", got: make(chan string, 8)}
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
	expectMessage(t, temps, "sensors/kitchen/temp:21.5")
	publish("alerts", "smoke")
	expectMessage(t, alerts, "alerts:smoke")
	publish("sensors/kitchen/humidity", "40")
	select {
	case got := <-temps.got:
		t.Errorf("unsubscribed topic delivered: %q", got)
	case <-time.After(200 * time.Millisecond):
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// TestTriggerWrongPassword: a refused connection is logged and retried,
// nothing is delivered, and the trigger still stops when cancelled.
func TestTriggerWrongPassword(t *testing.T) {
	broker := startBroker(t, "spin", "s3cret")
	subscribed := make(chan struct{}, 1)
	trig := &Trigger{
		Broker:        Broker{Address: broker, Username: "spin", Password: "wrong"},
		Subscriptions: []Subscription{{Topic: "alerts", Handler: &recorder{id: "r", got: make(chan string, 1)}}},
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
