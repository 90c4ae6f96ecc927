package engine

import (
	"context"
	"strings"

	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/inbound"
)

// routePattern is a Spin 1.x route pattern: base and
// route joined, exact or with a trailing wildcard.
type routePattern struct {
	// path is the exact path, or the wildcard prefix ("" for "/...").
	path     string
	wildcard bool
}

// sanitizeRoute makes s absolute and strips a single trailing "/".
func sanitizeRoute(s string) string {
	if !strings.HasPrefix(s, "/") {
		s = "/" + s
	}
	return strings.TrimSuffix(s, "/")
}

func newRoutePattern(base, route string) routePattern {
	full := sanitizeRoute(base) + sanitizeRoute(route)
	if prefix, ok := strings.CutSuffix(full, "/..."); ok {
		return routePattern{path: prefix, wildcard: true}
	}
	return routePattern{path: full}
}

// String is the pattern as Spin writes it (the matched-route form).
func (p routePattern) String() string {
	if p.wildcard {
		return p.path + "/..."
	}
	return p.path
}

// matches reports whether the request path p (one trailing "/" ignored)
// matches the pattern.
func (p routePattern) matches(path string) bool {
	path = strings.TrimSuffix(path, "/")
	if !p.wildcard {
		return path == p.path
	}
	return path == p.path || strings.HasPrefix(path, p.path+"/")
}

// route is one routable HTTP trigger.
type route struct {
	pattern  routePattern
	rawRoute string // as written in the lock
	handler  *component
}

// inbound is the route as executors see it.
func (r route) inbound() inbound.Route {
	return inbound.Route{Path: r.pattern.path, Matched: r.pattern.String(), Raw: r.rawRoute}
}

// router selects the component for a request path.
type router struct {
	routes []route
}

// add registers r; a later route with the same pattern replaces an earlier
// one, with a warning, as Spin 1.x does.
func (rt *router) add(ctx context.Context, r route) {
	for i, old := range rt.routes {
		if old.pattern == r.pattern {
			log.G(ctx).WithField("route", r.pattern.String()).
				Warnf("duplicate route: component %q replaces %q", r.handler.id, old.handler.id)
			rt.routes[i] = r
			return
		}
	}
	rt.routes = append(rt.routes, r)
}

// match returns the route for path: an exact match wins immediately,
// otherwise the longest matching wildcard prefix.
func (rt *router) match(path string) (route, bool) {
	var best route
	found := false
	for _, r := range rt.routes {
		if !r.pattern.matches(path) {
			continue
		}
		if !r.pattern.wildcard {
			return r, true
		}
		if !found || len(r.pattern.path) >= len(best.pattern.path) {
			best, found = r, true
		}
	}
	return best, found
}
