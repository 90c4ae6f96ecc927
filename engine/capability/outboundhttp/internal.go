package outboundhttp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// ServiceChainingSuffix ends the host of a request to another component of
// the app ("http://<component id>.spin.internal/…"), served in-process.
const ServiceChainingSuffix = ".spin.internal"

// selfHost is the host of a request to the app itself (a relative URL)
// while the app is not listening.
const selfHost = "self"

// Dispatcher serves requests inside the app, without the network. The
// engine provides it.
type Dispatcher interface {
	// ServeComponent serves r in the component id as if it matched the
	// route "/..."; false if the app has no such HTTP component.
	ServeComponent(w http.ResponseWriter, r *http.Request, id string) bool
	// ServeApp serves r as the app's HTTP listener would.
	ServeApp(w http.ResponseWriter, r *http.Request)
}

// ErrNoSuchComponent is a service-chaining request to a component the app
// does not serve.
var ErrNoSuchComponent = errors.New("no such component")

// ChainedComponent is the component id a service-chaining host names
// ("<id>.spin.internal", any port), or "".
func ChainedComponent(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	id, ok := strings.CutSuffix(strings.ToLower(host), ServiceChainingSuffix)
	if !ok || id == "" {
		return ""
	}
	return id
}

// SetDispatcher makes the client serve requests to the app's components
// ("http://<id>.spin.internal") and to the app itself (relative URLs, the
// app's own origin) through d, in-process.
func (c *Client) SetDispatcher(d Dispatcher) { c.dispatcher.Store(&d) }

// internalTransport sends requests for the app in-process, others through
// next.
type internalTransport struct {
	c    *Client
	next http.RoundTripper
}

func (t *internalTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	d := t.c.dispatcherOrNil()
	if d == nil {
		return t.next.RoundTrip(req)
	}
	serve := func(w http.ResponseWriter, r *http.Request) error { d.ServeApp(w, r); return nil }
	if id := ChainedComponent(req.URL.Host); id != "" {
		// Spin drops a Host naming the chaining host.
		if ChainedComponent(req.Host) != "" {
			req.Host = ""
		}
		serve = func(w http.ResponseWriter, r *http.Request) error {
			if !d.ServeComponent(w, r, id) {
				return fmt.Errorf("component %q: %w", id, ErrNoSuchComponent)
			}
			return nil
		}
	} else if !t.c.isSelf(req.URL.Host) {
		return t.next.RoundTrip(req)
	}
	return serveInProcess(req, serve)
}

// isSelf reports whether host is the app's own origin.
func (c *Client) isSelf(host string) bool {
	if host == selfHost {
		return true
	}
	origin := c.SelfOrigin()
	return origin != "" && "http://"+host == origin
}

func (c *Client) dispatcherOrNil() Dispatcher {
	if p := c.dispatcher.Load(); p != nil {
		return *p
	}
	return nil
}

// serveInProcess runs serve on a server-side copy of req and returns what
// it wrote as a client response.
func serveInProcess(req *http.Request, serve func(http.ResponseWriter, *http.Request) error) (*http.Response, error) {
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "0.0.0.0:0" // as Spin gives chained requests
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	w := &bufferedResponse{header: http.Header{}}
	if err := serve(w, in); err != nil {
		return nil, err
	}
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(bytes.NewReader(w.body.Bytes())),
		ContentLength: int64(w.body.Len()),
		Request:       req,
	}, nil
}

// bufferedResponse is an http.ResponseWriter keeping the whole response.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferedResponse) Header() http.Header { return w.header }

func (w *bufferedResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *bufferedResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}
