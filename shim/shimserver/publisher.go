package shimserver

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	eventsapi "github.com/containerd/containerd/api/services/ttrpc/events/v1"
	"github.com/containerd/containerd/api/types"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/ttrpc"
	"github.com/containerd/typeurl/v2"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	// publishAttempts is how often an event is offered to containerd,
	// reconnecting in between, before it is given up.
	publishAttempts = 4
	// publishTimeout bounds one attempt.
	publishTimeout = 5 * time.Second
	// idleConnection is how long the connection stays open after the last
	// event: events come in bursts (create and start, exit and delete).
	idleConnection = time.Second
)

// Publisher forwards task events to containerd's event service over
// ttrpc. It connects when it has an event to send and disconnects a second
// after the last, so that an idle server holds no connection, with its
// goroutines and buffers.
type Publisher struct {
	address     string
	idleTimeout time.Duration

	mu       sync.Mutex
	client   *ttrpc.Client
	inflight int
	idle     *time.Timer
}

// NewPublisher returns a publisher to containerd's ttrpc address.
func NewPublisher(address string) *Publisher {
	return &Publisher{address: strings.TrimPrefix(address, "unix://"), idleTimeout: idleConnection}
}

// Publish sends event under topic in the namespace ctx carries, retrying
// with a new connection when containerd is briefly unreachable (it
// restarts, say).
func (p *Publisher) Publish(ctx context.Context, topic string, event any) error {
	ns, err := namespaces.NamespaceRequired(ctx)
	if err != nil {
		return err
	}
	encoded, err := typeurl.MarshalAnyToProto(event)
	if err != nil {
		return fmt.Errorf("encoding %s event: %w", topic, err)
	}
	req := &eventsapi.ForwardRequest{Envelope: &types.Envelope{
		Timestamp: timestamppb.Now(),
		Namespace: ns,
		Topic:     topic,
		Event:     encoded,
	}}
	for attempt := 1; ; attempt++ {
		if err = p.forward(ctx, req); err == nil {
			return nil
		}
		if attempt == publishAttempts {
			return fmt.Errorf("publishing %s event to containerd at %s: %w", topic, p.address, err)
		}
		select {
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("publishing %s event: %w", topic, ctx.Err())
		}
	}
}

// forward makes one attempt; a failed attempt drops the connection.
func (p *Publisher) forward(ctx context.Context, req *eventsapi.ForwardRequest) error {
	client, err := p.connect()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	_, err = eventsapi.NewTTRPCEventsClient(client).Forward(ctx, req)
	p.release(client, err != nil)
	return err
}

// connect returns the connection, dialling it if there is none, and
// counts its user until release.
func (p *Publisher) connect() (*ttrpc.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idle != nil {
		p.idle.Stop()
	}
	if p.client == nil {
		if p.address == "" {
			return nil, fmt.Errorf("containerd's ttrpc address is unknown (no %s)", ttrpcAddressEnv)
		}
		conn, err := net.DialTimeout("unix", p.address, publishTimeout)
		if err != nil {
			return nil, fmt.Errorf("connecting to containerd: %w", err)
		}
		p.client = ttrpc.NewClient(conn)
	}
	p.inflight++
	return p.client, nil
}

// release ends a use of client: broken drops it, and the last user arms
// the idle disconnection.
func (p *Publisher) release(client *ttrpc.Client, broken bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight--
	if broken && p.client == client {
		_ = client.Close()
		p.client = nil
	}
	if p.inflight == 0 && p.client != nil {
		p.idle = time.AfterFunc(p.idleTimeout, p.disconnectIdle)
	}
}

func (p *Publisher) disconnectIdle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight == 0 && p.client != nil {
		_ = p.client.Close()
		p.client = nil
	}
}

// Close drops the connection to containerd, if any; a later Publish
// connects again.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idle != nil {
		p.idle.Stop()
	}
	if p.client == nil {
		return nil
	}
	err := p.client.Close()
	p.client = nil
	return err
}
