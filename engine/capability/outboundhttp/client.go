package outboundhttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spinoci/spinoci/engine/capability/network"
	"github.com/spinoci/spinoci/engine/internal/httpheader"
)

// MaxResponseSize bounds a response body handed to the guest.
const MaxResponseSize = 64 << 20

// ErrorKind is one of Spin's outbound HTTP error kinds.
type ErrorKind int

// Spin's outbound HTTP error kinds.
const (
	DestinationNotAllowed ErrorKind = iota + 1
	InvalidURL
	RequestError
	RuntimeError
)

// Error is a request that failed with a Spin error kind; its message is
// the cause's.
type Error struct {
	Kind ErrorKind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func fail(kind ErrorKind, err error) (*Response, error) {
	return nil, &Error{Kind: kind, Err: err}
}

// Request is a guest's outbound request.
type Request struct {
	Method string
	// URL is absolute, or a path ("/...") on the app itself.
	URL     string
	Headers [][2]string
	Body    []byte
}

// Response is a response handed back to the guest: header names lowercase,
// sorted, one pair per value.
type Response struct {
	Status  int
	Headers [][2]string
	Body    []byte
}

// Client sends an App's outbound requests.
type Client struct {
	http       *http.Client
	origin     atomic.Pointer[string]
	dispatcher atomic.Pointer[Dispatcher]
}

// NewClient returns an App's client: it never follows redirects (the guest
// sees the 3xx) and gives up on a request after timeout.
// Requests to the app's own components and to the app itself are served
// in-process once SetDispatcher has been called.
func NewClient(timeout time.Duration) *Client {
	c := &Client{}
	c.http = &http.Client{
		Timeout:       timeout,
		Transport:     &internalTransport{c: c, next: http.DefaultTransport.(*http.Transport).Clone()},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

// HTTPClient is the client's net/http client, for bindings that build
// their requests themselves.
func (c *Client) HTTPClient() *http.Client { return c.http }

// SelfOrigin is the origin ("http://host:port") of the listener the App
// serves on, for relative URLs; "" before SetListenAddr.
func (c *Client) SelfOrigin() string {
	if p := c.origin.Load(); p != nil {
		return *p
	}
	return ""
}

// SetListenAddr records the listener's address as the App's own origin;
// an unspecified IP becomes loopback.
func (c *Client) SetListenAddr(addr net.Addr) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
		if tcp.IP != nil && tcp.IP.To4() == nil {
			ip = net.IPv6loopback
		}
	}
	origin := "http://" + net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
	c.origin.Store(&origin)
}

// Send sends req if allowed lets the component reach its destination. A
// failure is an *Error.
func (c *Client) Send(ctx context.Context, allowed *network.AllowedHosts, req *Request) (*Response, error) {
	target := req.URL
	if strings.HasPrefix(req.URL, "/") {
		origin := c.SelfOrigin()
		if !allowed.AllowsSelf() {
			return fail(DestinationNotAllowed, errors.New("relative URL: \"self\" is not an allowed host"))
		}
		if origin == "" {
			if c.dispatcherOrNil() == nil {
				return fail(RuntimeError, errors.New("relative URL: the app is not listening"))
			}
			origin = "http://" + selfHost
		}
		target = origin + req.URL
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fail(InvalidURL, fmt.Errorf("invalid URL %q", req.URL))
	}
	if target == req.URL && !allowed.AllowedURL(u) {
		return fail(DestinationNotAllowed, fmt.Errorf("destination %s://%s is not in the component's allowed hosts", u.Scheme, u.Host))
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, u.String(), bytes.NewReader(req.Body))
	if err != nil {
		return fail(RequestError, err)
	}
	for _, h := range req.Headers {
		if !httpheader.ValidName(h[0]) || !httpheader.ValidValue(h[1]) {
			return fail(RequestError, fmt.Errorf("invalid request header %q", h[0]))
		}
		if strings.EqualFold(h[0], "host") {
			hreq.Host = h[1]
			continue
		}
		hreq.Header.Add(h[0], h[1])
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		return fail(RuntimeError, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return fail(RuntimeError, fmt.Errorf("read response: %w", err))
	}
	if len(body) > MaxResponseSize {
		return fail(RuntimeError, fmt.Errorf("response body larger than %d bytes", MaxResponseSize))
	}
	return &Response{Status: resp.StatusCode, Headers: httpheader.AppendPairs(nil, resp.Header), Body: body}, nil
}
