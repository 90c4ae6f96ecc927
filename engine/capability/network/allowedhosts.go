package network

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Special entries of the outbound host lists.
const (
	allowAllHosts = "insecure:allow-all"
	selfHost      = "self"
)

// hostRule is one allowed outbound destination. Zero fields are filled
// according to the list it came from.
type hostRule struct {
	scheme string // "" (v1: http or https) or a scheme; "*" any
	host   string // lowercase, without IPv6 brackets; "*" any; "*.x" any subdomain of x
	// v1: port is the explicit port, 0 for the default port of the
	// request's scheme. v2: ports are [lo, hi]; anyPort for "*".
	lo, hi  int
	anyPort bool
}

// AllowedHosts is a component's outbound allow-list, from either syntax:
// Spin 1.x allowed_http_hosts or Spin 2+ allowed_outbound_hosts. The
// caller expands "{{ variable }}" templates in the entries first.
type AllowedHosts struct {
	all   bool // insecure:allow-all (v1) or every destination allowed
	self  bool // relative URLs (requests to the app itself)
	v2    bool // allowed_outbound_hosts semantics
	rules []hostRule
}

// defaultPort is the port a URL of scheme uses when it names none.
func defaultPort(scheme string) int {
	switch scheme {
	case "http":
		return 80
	case "https":
		return 443
	case "postgres":
		return 5432
	case "mysql":
		return 3306
	case "redis":
		return 6379
	case "mqtt":
		return 1883
	}
	return 0
}

// ParseAllowedHTTPHosts parses Spin 1.x allowed_http_hosts: "host",
// "host:port" or "http(s)://host[:port]" (no path), "insecure:allow-all"
// or "self". A port equal to the entry's scheme default counts as none,
// as Rust's Url::port does.
func ParseAllowedHTTPHosts(entries []string) (*AllowedHosts, error) {
	a := &AllowedHosts{}
	for _, e := range entries {
		switch e {
		case allowAllHosts:
			a.all = true
			continue
		case selfHost:
			a.self = true
			continue
		}
		text := e
		if !strings.Contains(e, "//") {
			text = "http://" + e
		}
		u, err := url.Parse(text)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("allowed_http_hosts: %q isn't a valid host or host:port string", e)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fmt.Errorf("allowed_http_hosts: %q isn't a valid host or host:port string", e)
		}
		if len(u.Path) > 1 || u.RawQuery != "" {
			return nil, fmt.Errorf("allowed_http_hosts: %q contains a path, should be host and optional port only", e)
		}
		port, err := urlPort(u)
		if err != nil {
			return nil, fmt.Errorf("allowed_http_hosts: %q: %w", e, err)
		}
		a.rules = append(a.rules, hostRule{host: strings.ToLower(u.Hostname()), lo: port, hi: port})
	}
	return a, nil
}

// urlPort is u's explicit port, or 0 when it has none or names the
// scheme's default port.
func urlPort(u *url.URL) (int, error) {
	p := u.Port()
	if p == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("invalid port %q", p)
	}
	if n == defaultPort(u.Scheme) {
		return 0, nil
	}
	return n, nil
}

// ParseAllowedOutboundHosts parses Spin 2+ allowed_outbound_hosts:
// "scheme://host[:port]" where scheme may be "*", host "*", "*.domain" or
// "self", and port a number, a range "lo..hi" or "*"; without a port the
// scheme's default applies. Entries whose scheme is not http(s) or "*"
// (redis, mysql, postgres, …) are kept but never match an HTTP request.
func ParseAllowedOutboundHosts(entries []string) (*AllowedHosts, error) {
	a := &AllowedHosts{v2: true}
	for _, e := range entries {
		if e == allowAllHosts {
			a.all = true
			continue
		}
		scheme, rest, ok := strings.Cut(e, "://")
		if !ok || scheme == "" || rest == "" {
			return nil, fmt.Errorf("allowed_outbound_hosts: %q: want scheme://host[:port]", e)
		}
		rest = strings.TrimSuffix(rest, "/")
		if strings.ContainsAny(rest, "/?#") {
			return nil, fmt.Errorf("allowed_outbound_hosts: %q: must not contain a path", e)
		}
		host, port := rest, ""
		if h, p, err := net.SplitHostPort(rest); err == nil {
			host, port = h, p
		} else if strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]") {
			host = rest[1 : len(rest)-1]
		}
		r := hostRule{scheme: strings.ToLower(scheme), host: strings.ToLower(host)}
		switch {
		case port == "*":
			r.anyPort = true
		case port == "":
			d := defaultPort(r.scheme)
			if d == 0 {
				return nil, fmt.Errorf("allowed_outbound_hosts: %q: a port is required for scheme %q", e, scheme)
			}
			r.lo, r.hi = d, d
		default:
			lo, hi, isRange := strings.Cut(port, "..")
			if !isRange {
				hi = lo
			}
			var err1, err2 error
			r.lo, err1 = strconv.Atoi(lo)
			r.hi, err2 = strconv.Atoi(hi)
			if err1 != nil || err2 != nil || r.lo < 0 || r.hi > 65535 || r.lo > r.hi {
				return nil, fmt.Errorf("allowed_outbound_hosts: %q: invalid port %q", e, port)
			}
		}
		if r.host == selfHost {
			if r.scheme == "http" || r.scheme == "*" {
				a.self = true
			}
			continue
		}
		if r.host == "" {
			return nil, fmt.Errorf("allowed_outbound_hosts: %q: no host", e)
		}
		a.rules = append(a.rules, r)
	}
	return a, nil
}

// AllowedURL reports whether an absolute http(s) URL may be requested. A
// nil list allows nothing.
func (a *AllowedHosts) AllowedURL(u *url.URL) bool {
	if a == nil {
		return false
	}
	if a.all {
		return true
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	for _, r := range a.rules {
		if a.v2 {
			if r.allowsV2(scheme, host, u) {
				return true
			}
			continue
		}
		port, err := urlPort(u)
		if err == nil && r.host == host && r.lo == port {
			return true
		}
	}
	return false
}

func (r hostRule) allowsV2(scheme, host string, u *url.URL) bool {
	port := defaultPort(scheme)
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return false
		}
		port = n
	}
	return r.allows(scheme, host, port)
}

// AllowsSelf reports whether the component may make requests to the app
// itself (relative URLs): "self" is listed, or every destination is
// allowed.
func (a *AllowedHosts) AllowsSelf() bool {
	return a != nil && (a.self || a.all)
}
