package inbound

import (
	"net/http"
	"slices"
	"strings"

	"github.com/spinoci/spinoci/engine/internal/httpheader"
)

// Route is the HTTP trigger route a request matched.
type Route struct {
	// Path is the route's exact path, or its wildcard prefix ("" for
	// "/..."), base path included.
	Path string
	// Matched is the route as Spin writes the matched route, e.g.
	// "/base/foo/...".
	Matched string
	// Raw is the route as written in the lock.
	Raw string
	// Params are the values of the route's ":name" segments (Spin 2.5+)
	// the request matched, in route order.
	Params [][2]string
}

// Request is a routed HTTP request.
type Request struct {
	// HTTP is the request as net/http read it; nil where the App's fast
	// front read it, which serves Spin 1.x modules only (their executor
	// uses the fields below and Incoming).
	HTTP  *http.Request
	Route Route
	Base  string // the app's HTTP base path
	Path  string // escaped (not percent-decoded) path
	Query string // raw query, without "?"
	// Method, Host (the Host header or the request target's host) and
	// RemoteAddr ("ip:port") are the request's.
	Method, Host, RemoteAddr string
	// TLS: the request came over TLS.
	TLS bool
	// Incoming appends the request's headers where HTTP is nil, as
	// IncomingHeaders lists them.
	Incoming HeaderAppender
	// Body is the request body, read whole, unless the executor streams it
	// from HTTP.Body itself.
	Body []byte
}

// HeaderAppender appends a request's headers with lowercase names (Host
// first), sorted by name, one pair per value.
type HeaderAppender interface {
	AppendHeaders(out [][2]string) [][2]string
}

// FromHTTP is r, whose escaped path is path, routed as rt in an app whose
// base path is base.
func FromHTTP(r *http.Request, rt Route, base, path string) *Request {
	return &Request{
		HTTP: r, Route: rt, Base: base, Path: path, Query: r.URL.RawQuery,
		Method: r.Method, Host: r.Host, RemoteAddr: r.RemoteAddr, TLS: r.TLS != nil,
	}
}

// URI is the path and query, as the Spin executor passes it.
func (req *Request) URI() string {
	if req.Query == "" {
		return req.Path
	}
	return req.Path + "?" + req.Query
}

// PathInfo is the request path after the matched route prefix. For a
// route with ":name" segments it is what Spin 2.5+ passes: the part the
// trailing wildcard matched (its trailing "/" kept), "" for an exact route.
func (req *Request) PathInfo() string {
	if len(req.Route.Params) == 0 {
		return strings.TrimPrefix(req.Path, req.Route.Path)
	}
	if !strings.HasSuffix(req.Route.Matched, "/...") {
		return ""
	}
	// Skip as many segments of the path as the route prefix has.
	rest := req.Path
	for n := strings.Count(req.Route.Path, "/"); n > 0; n-- {
		i := strings.IndexByte(rest[1:], '/')
		if i < 0 {
			return ""
		}
		rest = rest[i+1:]
	}
	return rest
}

// SpinHeader is one of the headers Spin injects, with its Spin-executor
// header name and its WAGI environment name.
type SpinHeader struct {
	Header, Env, Value string
}

// SpinHeaders computes Spin's default headers for req.
func (req *Request) SpinHeaders() []SpinHeader {
	headers := make([]SpinHeader, 0, spinHeaderCount+len(req.Route.Params))
	req.eachSpinHeader(func(name, env, value string) {
		headers = append(headers, SpinHeader{name, env, value})
	})
	return headers
}

// spinHeaderCount is how many headers eachSpinHeader gives every request.
const spinHeaderCount = 7

// eachSpinHeader calls f with the name, WAGI name and value of each of
// Spin's default headers for req, in order.
func (req *Request) eachSpinHeader(f func(name, env, value string)) {
	scheme := "http://"
	if req.TLS {
		scheme = "https://"
	}
	host := req.Host
	if host == "" {
		host = "localhost"
	}
	raw := req.Route.Raw
	headers := [spinHeaderCount]SpinHeader{
		{"spin-full-url", "X_FULL_URL", concatURL(scheme, host, req.Path, req.Query)},
		{"spin-path-info", "PATH_INFO", req.PathInfo()},
		{"spin-matched-route", "X_MATCHED_ROUTE", req.Route.Matched},
		{"spin-base-path", "X_BASE_PATH", req.Base},
		{"spin-raw-component-route", "X_RAW_COMPONENT_ROUTE", raw},
		{"spin-component-route", "X_COMPONENT_ROUTE", strings.TrimSuffix(raw, "/...")},
		{"spin-client-addr", "X_CLIENT_ADDR", req.RemoteAddr},
	}
	for _, h := range headers {
		f(h.Header, h.Env, h.Value)
	}
	for _, p := range req.Route.Params {
		f("spin-path-match-"+strings.ToLower(p[0]), "X_PATH_MATCH_"+strings.ToUpper(p[0]), p[1])
	}
}

// concatURL is scheme+host+path(+"?"+query) in one allocation.
func concatURL(scheme, host, path, query string) string {
	var b strings.Builder
	b.Grow(len(scheme) + len(host) + len(path) + 1 + len(query))
	b.WriteString(scheme)
	b.WriteString(host)
	b.WriteString(path)
	if query != "" {
		b.WriteByte('?')
		b.WriteString(query)
	}
	return b.String()
}

// IncomingHeaders lists the request's headers with lowercase names (Host
// included, which net/http keeps apart), sorted by name, one pair per value.
func IncomingHeaders(r *http.Request) [][2]string {
	return appendIncoming(make([][2]string, 0, len(r.Header)+1), r)
}

// appendIncoming appends IncomingHeaders(r) to out.
func appendIncoming(out [][2]string, r *http.Request) [][2]string {
	if r.Host != "" && r.Header.Get("Host") == "" {
		out = append(out, [2]string{"host", r.Host})
	}
	return httpheader.AppendPairs(out, r.Header)
}

// Headers is what the Spin executor passes: the incoming headers followed
// by Spin's headers.
func (req *Request) Headers() [][2]string {
	return req.AppendHeaders(nil)
}

// AppendHeaders appends Headers to out.
func (req *Request) AppendHeaders(out [][2]string) [][2]string {
	if req.HTTP != nil {
		out = slices.Grow(out, len(req.HTTP.Header)+1+spinHeaderCount+len(req.Route.Params))
		out = appendIncoming(out, req.HTTP)
	} else {
		out = req.Incoming.AppendHeaders(out)
	}
	req.eachSpinHeader(func(name, _, value string) {
		out = append(out, [2]string{name, value})
	})
	return out
}

// SpinMethod maps an HTTP method to Spin's http-types method enum (the
// wit-bindgen 0.2 enum value); other methods are not allowed.
func SpinMethod(m string) (int32, bool) {
	switch m {
	case http.MethodGet:
		return 0, true
	case http.MethodPost:
		return 1, true
	case http.MethodPut:
		return 2, true
	case http.MethodDelete:
		return 3, true
	case http.MethodPatch:
		return 4, true
	case http.MethodHead:
		return 5, true
	case http.MethodOptions:
		return 6, true
	}
	return 0, false
}

// SpinMethodName is the HTTP method of a Spin http-types method enum value.
func SpinMethodName(m int32) (string, bool) {
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
