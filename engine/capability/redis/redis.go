package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// MaxConnections is how many connections one instance may hold open at
// once; opening more is ErrTooManyConnections.
const MaxConnections = 32

// DialTimeout bounds connecting (and authenticating) to a server.
const DialTimeout = 5 * time.Second

// CommandTimeout bounds one command: sending it and reading its reply.
const CommandTimeout = 30 * time.Second

// MaxReplyBytes bounds a reply a guest receives (get, execute); a larger
// one is an error, as in Spin.
const MaxReplyBytes = 128 << 20

// Spin's Redis error kinds. Other errors are Spin's other(message).
var (
	ErrInvalidAddress     = errors.New("invalid address")
	ErrTooManyConnections = errors.New("too many connections")
	ErrTypeError          = errors.New("type error")
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

// NewAccess returns access to the servers allowed allows.
func NewAccess(allowed Allowlist) *Access { return &Access{allowed: allowed} }

// Connections returns a new instance's (empty) set of connections.
func (a *Access) Connections() *Connections {
	return &Connections{access: a}
}

// options parses address and checks it against the allow-list.
func (a *Access) options(address string) (*goredis.Options, error) {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %q is not a redis:// or rediss:// URL", ErrInvalidAddress, address)
	}
	opts, err := goredis.ParseURL(address)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrInvalidAddress, address, err)
	}
	host, portText, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrInvalidAddress, address, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: invalid port", ErrInvalidAddress, address)
	}
	if a == nil || a.allowed == nil || !a.allowed.AllowedEndpoint(u.Scheme, host, port) {
		return nil, fmt.Errorf("%w: %s://%s is not allowed by the component's allowed_outbound_hosts", ErrInvalidAddress, u.Scheme, net.JoinHostPort(host, portText))
	}
	// One connection, RESP2, no retries (a retried INCR could count twice),
	// no client-side extras: a plain client as Spin's.
	opts.Protocol = 2
	opts.PoolSize, opts.MinIdleConns, opts.MaxIdleConns = 1, 0, 1
	opts.MaxRetries = -1
	opts.DialerRetries = 1
	opts.DisableIdentity = true
	opts.DialTimeout = DialTimeout
	opts.ReadTimeout, opts.WriteTimeout = CommandTimeout, CommandTimeout
	opts.ContextTimeoutEnabled = true
	return opts, nil
}

// Connections are one instance's open connections. They are not safe for
// concurrent use (an instance makes one host call at a time).
type Connections struct {
	access *Access
	open   map[*Conn]bool
	// byAddress holds the connections of the ABIs that name an address in
	// every call: one per address, reused for the instance's life.
	byAddress map[string]*Conn
}

// Open connects to address: ErrInvalidAddress for an address that is not
// a Redis URL or not allowed, ErrTooManyConnections beyond MaxConnections,
// other errors when the server cannot be reached.
func (cs *Connections) Open(ctx context.Context, address string) (*Conn, error) {
	opts, err := cs.access.options(address)
	if err != nil {
		return nil, err
	}
	if len(cs.open) >= MaxConnections {
		return nil, fmt.Errorf("%w: %d are open", ErrTooManyConnections, MaxConnections)
	}
	client := goredis.NewClient(opts)
	dialCtx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	if err := client.Ping(dialCtx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("connect to %s: %w", opts.Addr, err)
	}
	c := &Conn{client: client, owner: cs}
	if cs.open == nil {
		cs.open = map[*Conn]bool{}
	}
	cs.open[c] = true
	return c, nil
}

// ForAddress returns the instance's connection to address, opening it on
// first use (Spin 1.x's ABIs, which pass the address in every call).
func (cs *Connections) ForAddress(ctx context.Context, address string) (*Conn, error) {
	if c, ok := cs.byAddress[address]; ok {
		return c, nil
	}
	c, err := cs.Open(ctx, address)
	if err != nil {
		return nil, err
	}
	if cs.byAddress == nil {
		cs.byAddress = map[string]*Conn{}
	}
	cs.byAddress[address] = c
	return c, nil
}

// Close closes every open connection.
func (cs *Connections) Close() error {
	var errs []error
	for c := range cs.open {
		errs = append(errs, c.Close())
	}
	cs.byAddress = nil
	return errors.Join(errs...)
}

// Conn is an open connection.
type Conn struct {
	client *goredis.Client
	owner  *Connections
}

// Close closes the connection; closing it again does nothing.
func (c *Conn) Close() error {
	if !c.owner.open[c] {
		return nil
	}
	delete(c.owner.open, c)
	for addr, byAddr := range c.owner.byAddress {
		if byAddr == c {
			delete(c.owner.byAddress, addr)
		}
	}
	return c.client.Close()
}
