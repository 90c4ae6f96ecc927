package mqtt

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// MaxConnections is how many connections one instance may hold open at
// once; opening more is ErrTooManyConnections.
const MaxConnections = 32

// ConnectTimeout bounds connecting to the broker.
const ConnectTimeout = 10 * time.Second

// PublishTimeout bounds one publish.
const PublishTimeout = 30 * time.Second

// Spin's MQTT error kinds; ConnectionFailed is the third. Other errors are
// Spin's other(message).
var (
	ErrInvalidAddress     = errors.New("invalid address")
	ErrTooManyConnections = errors.New("too many connections")
)

// ConnectionFailed is Spin's connection-failed error.
type ConnectionFailed struct {
	Reason string
}

func (e *ConnectionFailed) Error() string { return "connection failed: " + e.Reason }

// QoS is a publish's quality of service, in the order of the WIT enum's
// cases.
type QoS uint8

// The qos cases.
const (
	AtMostOnce QoS = iota
	AtLeastOnce
	ExactlyOnce
)

// Allowlist decides which endpoints a component may connect to
// (*network.AllowedHosts).
type Allowlist interface {
	AllowedEndpoint(scheme, host string, port int) bool
}

// Access is what one component may connect to. A nil Access, or one
// without an allow-list, denies every address.
type Access struct {
	allowed Allowlist
}

// NewAccess returns access to the brokers allowed allows.
func NewAccess(allowed Allowlist) *Access { return &Access{allowed: allowed} }

// Connections returns a new instance's (empty) set of connections.
func (a *Access) Connections() *Connections { return &Connections{access: a} }

// Connections are one instance's connections. They are not safe for
// concurrent use (an instance makes one host call at a time).
type Connections struct {
	access *Access
	open   map[*Conn]bool
}

// Open checks address and returns a connection to its broker, connected at
// the first publish: ErrInvalidAddress for an address that is not an MQTT
// URL with a client_id, *ConnectionFailed for one not allowed,
// ErrTooManyConnections beyond MaxConnections.
func (cs *Connections) Open(address, username, password string, keepAlive time.Duration) (*Conn, error) {
	opts, err := cs.access.options(address)
	if err != nil {
		return nil, err
	}
	if len(cs.open) >= MaxConnections {
		return nil, fmt.Errorf("%w: %d are open", ErrTooManyConnections, MaxConnections)
	}
	opts.SetUsername(username).SetPassword(password).SetKeepAlive(keepAlive)
	c := &Conn{client: paho.NewClient(opts), owner: cs, broker: opts.Servers[0].Host}
	if cs.open == nil {
		cs.open = map[*Conn]bool{}
	}
	cs.open[c] = true
	return c, nil
}

// options parses address and checks it against the allow-list.
func (a *Access) options(address string) (*paho.ClientOptions, error) {
	u, err := url.Parse(address)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %q is not an mqtt:// or mqtts:// URL", ErrInvalidAddress, address)
	}
	broker, port := "tcp", 1883
	switch u.Scheme {
	case "mqtt":
	case "mqtts":
		broker, port = "ssl", 8883
	default:
		return nil, fmt.Errorf("%w: %q is not an mqtt:// or mqtts:// URL", ErrInvalidAddress, address)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port > 65535 {
			return nil, fmt.Errorf("%w: %q: invalid port", ErrInvalidAddress, address)
		}
	}
	if a == nil || a.allowed == nil || !a.allowed.AllowedEndpoint(u.Scheme, u.Hostname(), port) {
		return nil, &ConnectionFailed{Reason: fmt.Sprintf("address %s is not permitted", address)}
	}
	query := u.Query()
	clientID := query.Get("client_id")
	if clientID == "" {
		return nil, fmt.Errorf("%w: %q: the client_id query parameter is required", ErrInvalidAddress, address)
	}
	clean := true
	for name, vals := range query {
		switch name {
		case "client_id":
		case "clean_session":
			if clean, err = strconv.ParseBool(vals[0]); err != nil {
				return nil, fmt.Errorf("%w: %q: invalid clean_session", ErrInvalidAddress, address)
			}
		default:
			return nil, fmt.Errorf("%w: %q: unknown query parameter %q", ErrInvalidAddress, address, name)
		}
	}
	opts := paho.NewClientOptions().
		AddBroker(broker + "://" + net.JoinHostPort(u.Hostname(), strconv.Itoa(port))).
		SetClientID(clientID).SetCleanSession(clean).
		SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(ConnectTimeout).SetWriteTimeout(PublishTimeout)
	if broker == "ssl" {
		opts.SetTLSConfig(&tls.Config{ServerName: u.Hostname()})
	}
	return opts, nil
}

// Close disconnects every connection.
func (cs *Connections) Close() {
	for c := range cs.open {
		c.Close()
	}
}

// Conn is a connection to a broker.
type Conn struct {
	client paho.Client
	owner  *Connections
	broker string
}

// Publish publishes payload on topic with qos, connecting first if
// needed, and returns once the broker has it (QoS 1 and 2) or it is sent
// (QoS 0). An invalid topic is other; failing to connect or to publish is
// *ConnectionFailed.
func (c *Conn) Publish(ctx context.Context, topic string, payload []byte, qos QoS) error {
	if topic == "" || strings.ContainsAny(topic, "+#\x00") || len(topic) > 65535 {
		return fmt.Errorf("invalid topic %q: want a non-empty topic name without wildcards", topic)
	}
	if qos > ExactlyOnce {
		return fmt.Errorf("invalid qos %d", qos)
	}
	if !c.client.IsConnectionOpen() {
		if err := wait(ctx, c.client.Connect(), ConnectTimeout); err != nil {
			return &ConnectionFailed{Reason: fmt.Sprintf("connect to %s: %v", c.broker, err)}
		}
	}
	if err := wait(ctx, c.client.Publish(topic, byte(qos), false, payload), PublishTimeout); err != nil {
		return &ConnectionFailed{Reason: fmt.Sprintf("publish to %s: %v", c.broker, err)}
	}
	return nil
}

// wait waits for t, at most timeout and while ctx lasts.
func wait(ctx context.Context, t paho.Token, timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-t.Done():
		return t.Error()
	case <-timer.C:
		return fmt.Errorf("no answer within %v", timeout)
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Close disconnects; closing again does nothing.
func (c *Conn) Close() {
	if !c.owner.open[c] {
		return
	}
	delete(c.owner.open, c)
	if c.client.IsConnectionOpen() {
		c.client.Disconnect(100)
	}
}
