package network

import "strings"

// AllowedEndpoint reports whether a connection of scheme ("tcp" or "udp"
// for wasi:sockets; "redis", "postgres", "mysql", "mqtt" for those APIs)
// to host:port is allowed, as Spin checks it: an allowed_outbound_hosts
// entry matches when its scheme is the same or "*", its host is the same
// (compared without brackets, case-insensitively), "*" or "*.domain" with
// host a subdomain, and port is in its port range; insecure:allow-all
// allows every endpoint. A Spin 1.x allowed_http_hosts list allows every
// redis, postgres and mysql destination (Spin 1.x did not restrict them)
// and nothing else; a nil list allows none.
func (a *AllowedHosts) AllowedEndpoint(scheme, host string, port int) bool {
	if a == nil {
		return false
	}
	scheme, host = strings.ToLower(scheme), normalHost(host)
	if !a.v2 {
		return scheme == "redis" || scheme == "mysql" || scheme == "postgres"
	}
	if a.all {
		return true
	}
	for _, r := range a.rules {
		if r.allows(scheme, host, port) {
			return true
		}
	}
	return false
}

// AllowsHostLookup reports whether some entry of scheme (or "*") could
// allow a connection to the host name, on any port: the names a component
// may resolve before connecting. insecure:allow-all allows every name.
func (a *AllowedHosts) AllowsHostLookup(scheme, name string) bool {
	if a == nil || !a.v2 {
		return false
	}
	if a.all {
		return true
	}
	scheme, name = strings.ToLower(scheme), normalHost(name)
	for _, r := range a.rules {
		if r.matchesScheme(scheme) && r.matchesHost(name) {
			return true
		}
	}
	return false
}

func normalHost(h string) string {
	h = strings.ToLower(h)
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	return strings.TrimSuffix(h, ".")
}

func (r hostRule) matchesScheme(scheme string) bool {
	return r.scheme == "*" || r.scheme == scheme
}

func (r hostRule) matchesHost(host string) bool {
	switch {
	case r.host == "*":
		return true
	case strings.HasPrefix(r.host, "*."):
		return strings.HasSuffix(host, r.host[1:])
	}
	return r.host == host
}

// allows reports whether the (v2) rule allows scheme://host:port.
func (r hostRule) allows(scheme, host string, port int) bool {
	return r.matchesScheme(scheme) && r.matchesHost(host) && (r.anyPort || port >= r.lo && port <= r.hi)
}
