package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/inbound"
	"github.com/spinoci/spinoci/lock"
)

// Well-known endpoints handled before routing.
const (
	wellKnownPrefix = "/.well-known/spin/"
	wellKnownHealth = wellKnownPrefix + "health"
	wellKnownInfo   = wellKnownPrefix + "info"
)

// appInfo renders Spin's AppInfo JSON from the app metadata.
func appInfo(app *lock.LockedApp) ([]byte, error) {
	info, err := app.Info()
	if err != nil {
		return nil, err
	}
	body, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("app info: %w", err)
	}
	return body, nil
}

// Handler returns the App's HTTP handler.
func (a *App) Handler() http.Handler {
	return http.HandlerFunc(a.serveHTTP)
}

func (a *App) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	if strings.HasPrefix(path, wellKnownPrefix) {
		a.serveWellKnown(w, path)
		return
	}
	rt, params, ok := a.router.match(path)
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	a.serveRoute(w, r, rt.handler, rt.inbound(params), a.base)
}

// serveRoute runs the request r, routed to c as rt, in c.
func (a *App) serveRoute(w http.ResponseWriter, r *http.Request, c *component, rt inbound.Route, base string) {
	ctx := r.Context()
	path := r.URL.EscapedPath()
	req := inbound.FromHTTP(r, rt, base, path)
	exec := c.exec
	if !exec.StreamsBody() {
		body, err := readBody(r, a.cfg.MaxRequestBodySize)
		if err != nil {
			if errors.Is(err, errBodyTooLarge) {
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				return
			}
			log.G(ctx).WithError(err).WithField("component", c.id).Warn("cannot read request body")
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		req.Body = body
	}
	exec.Serve(ctx, w, req)
}

func (a *App) serveWellKnown(w http.ResponseWriter, path string) {
	switch path {
	case wellKnownHealth:
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "OK")
	case wellKnownInfo:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(a.info)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

var errBodyTooLarge = errors.New("request body too large")

// readBody reads at most limit bytes of the request body.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil // no body: nothing to read or allocate
	}
	if r.ContentLength > limit {
		return nil, errBodyTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, errBodyTooLarge
	}
	return b, nil
}

// Serve serves HTTP on ln until ctx is cancelled, then stops accepting,
// waits up to Config.ShutdownTimeout for in-flight requests, interrupts
// those still running (their guests stop at the next epoch tick) and
// returns nil. It returns an error if serving fails or interrupted
// requests do not end.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	a.client.SetListenAddr(ln.Addr())
	newSrv := netHTTPServer(a.Handler())
	if a.fastFrontServes() {
		newSrv = fastHTTPServer(a.fastFrontHandler, a.cfg.MaxRequestBodySize)
	}
	return serve(ctx, ln, newSrv, a.frontOptions())
}
