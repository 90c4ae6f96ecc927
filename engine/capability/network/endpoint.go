package network

import "strings"

// AllowedEndpoint reports whether a component may connect to host:port
// with a non-HTTP scheme ("postgres", "mysql", "redis", "mqtt", "tcp"). A
// Spin 1.x allowed_http_hosts list allows every redis, mysql and postgres
// destination, as Spin does for apps without allowed_outbound_hosts. A nil
// list allows nothing.
func (a *AllowedHosts) AllowedEndpoint(scheme, host string, port int) bool {
	if a == nil {
		return false
	}
	if a.all {
		return true
	}
	scheme, host = strings.ToLower(scheme), strings.ToLower(strings.Trim(host, "[]"))
	if !a.v2 {
		return scheme == "redis" || scheme == "mysql" || scheme == "postgres"
	}
	for _, r := range a.rules {
		if r.allows(scheme, host, port) {
			return true
		}
	}
	return false
}

// allows reports whether the (v2) rule allows scheme://host:port.
func (r hostRule) allows(scheme, host string, port int) bool {
	if r.scheme != "*" && r.scheme != scheme {
		return false
	}
	switch {
	case r.host == "*":
	case strings.HasPrefix(r.host, "*."):
		if !strings.HasSuffix(host, r.host[1:]) {
			return false
		}
	case r.host != host:
		return false
	}
	return r.anyPort || (port >= r.lo && port <= r.hi)
}
