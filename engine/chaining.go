package engine

import (
	"net/http"

	"github.com/spinoci/spinoci/engine/inbound"
)

// chainedRoute is the route a service-chaining request is served as: the
// whole path is the trailing wildcard, as in Spin.
func chainedRoute() inbound.Route { return inbound.Route{Path: "", Matched: "/...", Raw: "/..."} }

// dispatcher serves the App's outbound requests to itself in-process
// (outboundhttp.Dispatcher): "http://<id>.spin.internal" to the component
// id, whether its route is private or not, and requests to the app's own
// origin through its router.
type dispatcher struct{ a *App }

func (d dispatcher) ServeComponent(w http.ResponseWriter, r *http.Request, id string) bool {
	c, ok := d.a.byID[id]
	if !ok {
		return false
	}
	d.a.serveRoute(w, r, c, chainedRoute(), "/")
	return true
}

func (d dispatcher) ServeApp(w http.ResponseWriter, r *http.Request) { d.a.serveHTTP(w, r) }
