package mqtt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/containerd/log"
	paho "github.com/eclipse/paho.mqtt.golang"
)

// Handler runs a component on one message.
type Handler interface {
	HandleMessage(ctx context.Context, topic string, payload []byte) error
	Component() string
}

// Subscription maps a topic filter to a handler.
type Subscription struct {
	Topic   string
	QoS     byte
	Handler Handler
}

// Broker is where and as whom the trigger connects.
type Broker struct {
	// Address is the broker's URL, mqtt://host:port (tcp://, ssl://, ws://
	// as paho accepts them).
	Address            string
	Username, Password string
	// KeepAlive: zero means paho's default.
	KeepAlive time.Duration
}

// Trigger subscribes to one broker.
type Trigger struct {
	Broker        Broker
	Subscriptions []Subscription
	// Subscribed, if set, is called each time the subscriptions are
	// (re-)established.
	Subscribed func()
}

// Run connects, subscribes and handles messages until ctx ends; it returns
// nil then.
func (t *Trigger) Run(ctx context.Context) error {
	var inflight sync.WaitGroup
	defer inflight.Wait()
	logger := log.G(ctx).WithField("mqtt", t.Broker.Address)
	opts := paho.NewClientOptions().
		AddBroker(t.Broker.Address).
		SetClientID(clientID()).
		SetUsername(t.Broker.Username).
		SetPassword(t.Broker.Password).
		SetCleanSession(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(10 * time.Second).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			logger.WithError(err).Warn("mqtt trigger: connection lost; reconnecting")
		})
	if t.Broker.KeepAlive > 0 {
		opts.SetKeepAlive(t.Broker.KeepAlive)
	}
	// Subscriptions are made on every connect: a clean session forgets
	// them when the connection drops.
	opts.SetOnConnectHandler(func(c paho.Client) {
		for _, s := range t.Subscriptions {
			h := s.Handler
			tok := c.Subscribe(s.Topic, s.QoS, func(_ paho.Client, m paho.Message) {
				inflight.Add(1)
				defer inflight.Done()
				if err := h.HandleMessage(context.WithoutCancel(ctx), m.Topic(), m.Payload()); err != nil {
					logger.WithError(err).WithField("topic", m.Topic()).Error("mqtt trigger: handling a message")
				}
			})
			if tok.Wait() && tok.Error() != nil {
				logger.WithError(tok.Error()).WithField("topic", s.Topic).Error("mqtt trigger: subscribing")
				return
			}
		}
		logger.Info("mqtt trigger: subscribed")
		if t.Subscribed != nil {
			t.Subscribed()
		}
	})
	// As the plugin does, messages are handled one at a time, in order.
	opts.SetOrderMatters(true)
	client := paho.NewClient(opts)
	tok := client.Connect() // retries in the background (SetConnectRetry)
	go func() {
		if tok.Wait() && tok.Error() != nil {
			logger.WithError(tok.Error()).Error("mqtt trigger: connecting")
		}
	}()
	<-ctx.Done()
	client.Disconnect(250)
	return nil
}

// clientID is a fresh MQTT client id: brokers drop an older connection
// with the same id.
func clientID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "spinoci-" + hex.EncodeToString(b)
}
