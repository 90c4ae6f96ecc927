package rdbms

import (
	"context"
	"net"
	"strconv"
	"time"
)

// ConnectTimeout bounds how long opening a connection may take (the
// allow-list check, name lookup, TCP, TLS and authentication).
const ConnectTimeout = 10 * time.Second

// StatementTimeout bounds one query or execute.
const StatementTimeout = 2 * time.Minute

// InstanceConnections is how many connections one instance (one request's
// guest) may hold open at once; opening more fails with connection-failed
// "too many connections", as Spin's does.
const InstanceConnections = 16

// Conn is an open connection. Its methods return *Error values.
type Conn interface {
	Query(ctx context.Context, statement string, params []Value) (*RowSet, error)
	// Execute runs a statement that returns no rows and reports how many
	// rows it affected (0 where the database does not say).
	Execute(ctx context.Context, statement string, params []Value) (uint64, error)
	// Close gives the connection back.
	Close() error
}

// Endpoint is a TCP destination of an address.
type Endpoint struct {
	Host string
	Port int
}

func (e Endpoint) String() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// Driver is a database backend.
type Driver interface {
	// Scheme is the allow-list scheme of its addresses: "postgres", "mysql".
	Scheme() string
	// Endpoints parses address and returns where it connects; errors are
	// *Error (connection-failed).
	Endpoints(address string) ([]Endpoint, error)
	// Connect opens a connection to address; errors are *Error.
	Connect(ctx context.Context, address string) (Conn, error)
}

// Allowlist decides which endpoints a component may connect to
// (*network.AllowedHosts).
type Allowlist interface {
	AllowedEndpoint(scheme, host string, port int) bool
}

// Access is what one component may connect to with one driver. A nil
// Access denies every address.
type Access struct {
	driver  Driver
	allowed Allowlist
}

// NewAccess returns access through d to the endpoints allowed allows.
func NewAccess(d Driver, allowed Allowlist) *Access {
	return &Access{driver: d, allowed: allowed}
}

// Open checks every endpoint of address against the allow-list and
// connects: a denied endpoint is connection-failed "address
// <scheme>://host:port is not permitted" (Spin's message).
func (a *Access) Open(ctx context.Context, address string) (Conn, error) {
	if a == nil || a.driver == nil {
		return nil, Errorf(ConnectionFailed, "address %s is not permitted", address)
	}
	eps, err := a.driver.Endpoints(address)
	if err != nil {
		return nil, err
	}
	for _, ep := range eps {
		if a.allowed == nil || !a.allowed.AllowedEndpoint(a.driver.Scheme(), ep.Host, ep.Port) {
			return nil, Errorf(ConnectionFailed, "address %s://%s is not permitted", a.driver.Scheme(), ep)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	return a.driver.Connect(ctx, address)
}
