package engine

import (
	"net/http"
	"strings"

	"github.com/spinoci/spinoci/engine/internal/httpheader"
)

// request is a routed HTTP request with its body read.
type request struct {
	r     *http.Request
	route route
	base  string
	path  string // escaped (not percent-decoded) path
	query string // raw query, without "?"
	body  []byte
}

// uri is the path and query, as the Spin executor passes it.
func (req *request) uri() string {
	if req.query == "" {
		return req.path
	}
	return req.path + "?" + req.query
}

// pathInfo is the request path after the matched route prefix.
func (req *request) pathInfo() string {
	return strings.TrimPrefix(req.path, req.route.pattern.path)
}

// spinHeader is one of the headers Spin injects, with its
// Spin-executor header name and its WAGI environment name.
type spinHeader struct {
	header, env, value string
}

// spinHeaders computes Spin's default headers for req.
func spinHeaders(req *request) []spinHeader {
	scheme := "http"
	if req.r.TLS != nil {
		scheme = "https"
	}
	host := req.r.Host
	if host == "" {
		host = "localhost"
	}
	raw := req.route.rawRoute
	return []spinHeader{
		{"spin-full-url", "X_FULL_URL", scheme + "://" + host + req.uri()},
		{"spin-path-info", "PATH_INFO", req.pathInfo()},
		{"spin-matched-route", "X_MATCHED_ROUTE", req.route.pattern.String()},
		{"spin-base-path", "X_BASE_PATH", req.base},
		{"spin-raw-component-route", "X_RAW_COMPONENT_ROUTE", raw},
		{"spin-component-route", "X_COMPONENT_ROUTE", strings.TrimSuffix(raw, "/...")},
		{"spin-client-addr", "X_CLIENT_ADDR", req.r.RemoteAddr},
	}
}

// incomingHeaders lists the request's headers with lowercase names (Host
// included, which net/http keeps apart), sorted by name, one pair per value.
func incomingHeaders(r *http.Request) [][2]string {
	out := make([][2]string, 0, len(r.Header)+8)
	if r.Host != "" && r.Header.Get("Host") == "" {
		out = append(out, [2]string{"host", r.Host})
	}
	return httpheader.AppendPairs(out, r.Header)
}

// requestHeaders is what the Spin executor passes: the incoming headers
// followed by Spin's headers.
func requestHeaders(req *request) [][2]string {
	out := incomingHeaders(req.r)
	for _, h := range spinHeaders(req) {
		out = append(out, [2]string{h.header, h.value})
	}
	return out
}
