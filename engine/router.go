package engine

import (
	"context"
	"strings"

	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/inbound"
)

// routePattern is an HTTP trigger route with the base path joined: exact
// or with a trailing wildcard ("/..."), its segments literal or, since
// Spin 2.5, single-segment parameters (":name").
type routePattern struct {
	// path is the exact path, or the wildcard prefix ("" for "/..."),
	// parameters written as in the route.
	path     string
	wildcard bool
	// segs are path's segments; a segment starting with ":" is a
	// parameter.
	segs []string
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
	p := routePattern{path: full}
	if prefix, ok := strings.CutSuffix(full, "/..."); ok {
		p = routePattern{path: prefix, wildcard: true}
	}
	p.segs = splitPath(p.path)
	return p
}

// splitPath splits an absolute path without its trailing "/" into
// segments; "" has none.
func splitPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(strings.TrimPrefix(p, "/"), "/")
}

func isParam(seg string) bool { return len(seg) > 1 && seg[0] == ':' }

// String is the pattern as Spin writes it (the matched-route form).
func (p routePattern) String() string {
	if p.wildcard {
		return p.path + "/..."
	}
	return p.path
}

// match matches the request path (one trailing "/" ignored) segment by
// segment: literals compare equal, a parameter takes one non-empty
// segment, a wildcard pattern takes any further segments. It returns the
// parameters captured, in route order.
func (p routePattern) match(path string) (params [][2]string, ok bool) {
	// The path's segments as splitPath gives them, walked without
	// allocating them.
	rest := strings.TrimSuffix(path, "/")
	count := 0
	if rest != "" {
		rest = strings.TrimPrefix(rest, "/")
		count = strings.Count(rest, "/") + 1
	}
	if count < len(p.segs) || (!p.wildcard && count != len(p.segs)) {
		return nil, false
	}
	for _, s := range p.segs {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		switch {
		case isParam(s):
			if seg == "" {
				return nil, false
			}
			params = append(params, [2]string{s[1:], seg})
		case s != seg:
			return nil, false
		}
	}
	return params, true
}

// moreSpecific reports whether p ranks above q for a path both match, as
// Spin ranks routes: at the first segment where they differ, a literal
// beats a parameter; with equal kinds throughout, an exact route beats a
// wildcard and a longer wildcard prefix beats a shorter one. For routes
// without parameters this is Spin 1.x's rule: the exact match, otherwise
// the longest wildcard prefix.
func (p routePattern) moreSpecific(q routePattern) bool {
	for i := 0; i < len(p.segs) && i < len(q.segs); i++ {
		if pp, qp := isParam(p.segs[i]), isParam(q.segs[i]); pp != qp {
			return qp
		}
	}
	if p.wildcard != q.wildcard {
		return !p.wildcard
	}
	return len(p.segs) > len(q.segs)
}

// route is one routable HTTP trigger.
type route struct {
	pattern  routePattern
	rawRoute string // as written in the lock
	handler  *component
}

// inbound is the route as executors see it, with the parameters a
// request matched.
func (r route) inbound(params [][2]string) inbound.Route {
	return inbound.Route{Path: r.pattern.path, Matched: r.pattern.String(), Raw: r.rawRoute, Params: params}
}

// router selects the component for a request path.
type router struct {
	routes []route
}

// add registers r; a later route with the same pattern replaces an earlier
// one, with a warning, as Spin does.
func (rt *router) add(ctx context.Context, r route) {
	for i, old := range rt.routes {
		if old.pattern.String() == r.pattern.String() {
			log.G(ctx).WithField("route", r.pattern.String()).
				Warnf("duplicate route: component %q replaces %q", r.handler.id, old.handler.id)
			rt.routes[i] = r
			return
		}
	}
	rt.routes = append(rt.routes, r)
}

// match returns the most specific route matching path (see
// routePattern.moreSpecific) and the parameters it captured; of equally
// specific routes the later one wins.
func (rt *router) match(path string) (route, [][2]string, bool) {
	var best route
	var bestParams [][2]string
	found := false
	for _, r := range rt.routes {
		params, ok := r.pattern.match(path)
		if !ok {
			continue
		}
		if !found || !best.pattern.moreSpecific(r.pattern) {
			best, bestParams, found = r, params, true
		}
	}
	return best, bestParams, found
}
