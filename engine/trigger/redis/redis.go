package redis

import (
	"context"
	"fmt"
	"time"

	"github.com/containerd/log"
	goredis "github.com/redis/go-redis/v9"
)

// Handler runs a component on one message.
type Handler interface {
	HandleMessage(ctx context.Context, channel string, payload []byte) error
	Component() string
}

// Subscription maps a channel to a handler.
type Subscription struct {
	Channel string
	Handler Handler
}

// Backoff bounds the wait between reconnection attempts.
type Backoff struct {
	Min, Max time.Duration
}

// Backoff bounds used when Trigger.Backoff is zero.
const (
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 10 * time.Second
)

// Trigger subscribes to one Redis server.
type Trigger struct {
	// Address is the server's URL, redis://[user:password@]host:port[/db].
	Address       string
	Subscriptions []Subscription
	Backoff       Backoff
	// Subscribed, if set, is called each time the subscription is
	// (re-)established.
	Subscribed func()
}

// Run subscribes and handles messages until ctx ends; it returns nil then.
// An unparsable address is an error at once.
func (t *Trigger) Run(ctx context.Context) error {
	opts, err := goredis.ParseURL(t.Address)
	if err != nil {
		return fmt.Errorf("redis trigger: address %q: %w", t.Address, err)
	}
	backoff := t.Backoff
	if backoff.Min <= 0 || backoff.Max <= 0 {
		backoff = Backoff{Min: DefaultMinBackoff, Max: DefaultMaxBackoff}
	}
	opts.MaxRetries = -1 // the trigger retries itself, with backoff
	client := goredis.NewClient(opts)
	defer client.Close()

	byChannel := map[string][]Handler{}
	var channels []string
	for _, s := range t.Subscriptions {
		if _, ok := byChannel[s.Channel]; !ok {
			channels = append(channels, s.Channel)
		}
		byChannel[s.Channel] = append(byChannel[s.Channel], s.Handler)
	}
	logger := log.G(ctx).WithField("redis", redactedAddr(opts))
	wait := backoff.Min
	for ctx.Err() == nil {
		err := t.subscribe(ctx, client, channels, byChannel, func() { wait = backoff.Min })
		if ctx.Err() != nil {
			break
		}
		logger.WithError(err).WithField("retry_in", wait).Warn("redis trigger: subscription lost; reconnecting")
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, backoff.Max)
	}
	return nil
}

// subscribe holds one subscription until it fails or ctx ends; connected
// is called once it is established.
func (t *Trigger) subscribe(ctx context.Context, client *goredis.Client, channels []string, byChannel map[string][]Handler, connected func()) error {
	ps := client.Subscribe(ctx, channels...)
	defer ps.Close()
	// go-redis does not end a blocking read when ctx ends; closing does.
	defer context.AfterFunc(ctx, func() { ps.Close() })()
	// Subscribe does not wait for the server; the first reply does.
	if _, err := ps.Receive(ctx); err != nil {
		return fmt.Errorf("subscribing to %v: %w", channels, err)
	}
	connected()
	log.G(ctx).WithField("channels", channels).Info("redis trigger: subscribed")
	if t.Subscribed != nil {
		t.Subscribed()
	}
	for {
		msg, err := ps.ReceiveMessage(ctx)
		if err != nil {
			return err
		}
		// As Spin does, messages are handled one at a time, in order, by
		// each component of the channel in turn. A handler finishes even
		// when the trigger is stopping.
		payload := []byte(msg.Payload)
		for _, h := range byChannel[msg.Channel] {
			if err := h.HandleMessage(context.WithoutCancel(ctx), msg.Channel, payload); err != nil {
				log.G(ctx).WithError(err).WithField("channel", msg.Channel).Error("redis trigger: handling a message")
			}
		}
	}
}

// redactedAddr names the server without its credentials.
func redactedAddr(opts *goredis.Options) string {
	return fmt.Sprintf("%s/%d", opts.Addr, opts.DB)
}
