package engine

import (
	"net/http"
	"sort"
	"strings"
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
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([][2]string, 0, len(names)+8)
	if r.Host != "" && r.Header.Get("Host") == "" {
		out = append(out, [2]string{"host", r.Host})
	}
	for _, name := range names {
		lower := strings.ToLower(name)
		for _, v := range r.Header[name] {
			out = append(out, [2]string{lower, v})
		}
	}
	return out
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

// validHeaderName reports whether s is an HTTP token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether s holds no control characters other
// than horizontal tab.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
