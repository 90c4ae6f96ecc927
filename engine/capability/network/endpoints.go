package network

import "strings"

// AllowedEndpoint reports whether a connection of scheme (for wasi:sockets
// "tcp" or "udp"; any other scheme an entry may name) to host:port is
// allowed, as Spin checks socket addresses: an entry matches when its
// scheme is the same or "*", its host is the same (compared without
// brackets, case-insensitively), "*" or "*.domain" with host a subdomain,
// and port is in its port range. Only allowed_outbound_hosts lists allow
// endpoints (insecure:allow-all allows every one); a nil list or a Spin 1.x
// allowed_http_hosts list allows none.
func (a *AllowedHosts) AllowedEndpoint(scheme, host string, port int) bool {
	if a == nil || !a.v2 {
		return false
	}
	if a.all {
		return true
	}
	scheme, host = strings.ToLower(scheme), normalHost(host)
	for _, r := range a.rules {
		if r.matchesScheme(scheme) && r.matchesHost(host) && (r.anyPort || port >= r.lo && port <= r.hi) {
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
