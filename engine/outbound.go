package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/containerd/log"
)

// wasi-outbound-http http-error tags.
const (
	httpErrDestinationNotAllowed = 1
	httpErrInvalidURL            = 2
	httpErrRequestError          = 3
	httpErrRuntimeError          = 4
)

// maxOutboundResponseSize bounds a response body copied into the guest.
const maxOutboundResponseSize = 64 << 20

// spinMethodName is the HTTP method of a wit-bindgen 0.2 method enum value.
func spinMethodName(m int32) (string, bool) {
	switch m {
	case 0:
		return http.MethodGet, true
	case 1:
		return http.MethodPost, true
	case 2:
		return http.MethodPut, true
	case 3:
		return http.MethodDelete, true
	case 4:
		return http.MethodPatch, true
	case 5:
		return http.MethodHead, true
	case 6:
		return http.MethodOptions, true
	}
	return "", false
}

// newOutboundClient is the App's client for guest requests: it never
// follows redirects (the guest sees the 3xx) and gives up after timeout.
func newOutboundClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// selfOrigin is the origin ("http://host:port") of the listener the App
// serves on, for relative outbound URLs; "" before Serve.
func (h *host) selfOrigin() string {
	if v, ok := h.origin.Load().(string); ok {
		return v
	}
	return ""
}

// setListenAddr records the listener's address as the App's own origin;
// an unspecified IP becomes loopback.
func (h *host) setListenAddr(addr net.Addr) {
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
	h.origin.Store("http://" + net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port)))
}

// outboundResponse is a response handed back to the guest.
type outboundResponse struct {
	status  int
	headers [][2]string
	body    []byte
}

// hostOutboundRequest implements wasi-outbound-http.request(method, uri,
// headers, params, body, ret): 11 i32 parameters, 32-byte return area.
func hostOutboundRequest(call *hostCall, a []int32) error {
	g, err := call.guest()
	if err != nil {
		return err
	}
	uri, err := call.readString(a[1], a[2])
	if err != nil {
		return err
	}
	headers, err := g.readPairs(uint32(a[3]), uint32(a[4]))
	if err != nil {
		return fmt.Errorf("request headers: %w", err)
	}
	var body []byte
	if a[7] != 0 {
		if body, err = call.readBytes(a[8], a[9]); err != nil {
			return fmt.Errorf("request body: %w", err)
		}
	}
	comp := call.state.comp
	resp, tag, cause := comp.outboundRequest(call.state.ctx, a[0], uri, headers, body)
	area := make(retArea, 32)
	if resp == nil {
		log.G(call.state.ctx).WithField("component", comp.id).WithField("url", uri).
			WithError(cause).Warn("outbound HTTP request failed")
		area.u8(0, 1)
		area.u8(4, uint8(tag))
		return call.writeRet(a[10], area)
	}
	hdrPtr, err := g.putPairs(resp.headers)
	if err != nil {
		return err
	}
	bodyPtr, err := g.put(resp.body, 1)
	if err != nil {
		return err
	}
	area.u16(4, uint16(resp.status))
	area.u8(8, 1)
	area.u32(12, hdrPtr)
	area.u32(16, uint32(len(resp.headers)))
	area.u8(20, 1)
	area.u32(24, bodyPtr)
	area.u32(28, uint32(len(resp.body)))
	return call.writeRet(a[10], area)
}

// outboundRequest sends a guest's request if the component may reach its
// destination. On failure it returns a nil response, the http-error tag
// and the cause (for the log).
func (c *component) outboundRequest(ctx context.Context, method int32, uri string, headers [][2]string, body []byte) (*outboundResponse, int, error) {
	m, ok := spinMethodName(method)
	if !ok {
		return nil, httpErrRequestError, fmt.Errorf("invalid method %d", method)
	}
	target := uri
	if strings.HasPrefix(uri, "/") {
		origin := c.host.selfOrigin()
		if c.allowedHosts == nil || !(c.allowedHosts.self || c.allowedHosts.all) {
			return nil, httpErrDestinationNotAllowed, errors.New("relative URL: \"self\" is not an allowed host")
		}
		if origin == "" {
			return nil, httpErrRuntimeError, errors.New("relative URL: the app is not listening")
		}
		target = origin + uri
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, httpErrInvalidURL, fmt.Errorf("invalid URL %q", uri)
	}
	if target == uri && !c.allowedHosts.allows(u) {
		return nil, httpErrDestinationNotAllowed, fmt.Errorf("destination %s://%s is not in the component's allowed hosts", u.Scheme, u.Host)
	}
	req, err := http.NewRequestWithContext(ctx, m, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, httpErrRequestError, err
	}
	for _, h := range headers {
		if !validHeaderName(h[0]) || !validHeaderValue(h[1]) {
			return nil, httpErrRequestError, fmt.Errorf("invalid request header %q", h[0])
		}
		if strings.EqualFold(h[0], "host") {
			req.Host = h[1]
			continue
		}
		req.Header.Add(h[0], h[1])
	}
	resp, err := c.host.client.Do(req)
	if err != nil {
		return nil, httpErrRuntimeError, err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxOutboundResponseSize+1))
	if err != nil {
		return nil, httpErrRuntimeError, fmt.Errorf("read response: %w", err)
	}
	if len(respBody) > maxOutboundResponseSize {
		return nil, httpErrRuntimeError, fmt.Errorf("response body larger than %d bytes", maxOutboundResponseSize)
	}
	out := &outboundResponse{status: resp.StatusCode, body: respBody}
	names := make([]string, 0, len(resp.Header))
	for name := range resp.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range resp.Header[name] {
			out.headers = append(out.headers, [2]string{strings.ToLower(name), v})
		}
	}
	return out, 0, nil
}
