package engine

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/executor/spinhttp"
	"github.com/spinoci/spinoci/engine/inbound"
	"github.com/spinoci/spinoci/engine/internal/httpheader"
	"github.com/valyala/fasthttp"
)

// The fast front serves the HTTP requests of an App whose routes all run
// Spin 1.x modules, through fasthttp instead of net/http. A Spin 1.x guest
// takes its request whole and answers with a whole response, so none of
// net/http's request model is needed; net/http's per-request work (a
// goroutine reading ahead, a context, the request's and response's maps
// and structures) costs about as much as instantiating and running a
// small module (hello: ~10 µs of CPU a request served by net/http, ~5 µs
// by fasthttp, on the benchmark's machine). Guests get the same request
// as through net/http (path, query, host, client address, headers, body)
// and the same bounds apply (connections, timeouts, body size, drain).
// What it does not do: a client that goes away does not interrupt its
// request's guest (net/http cancels the request's context; the guest's
// time limit still bounds it). Config.NetHTTPFront turns it off.

// fastFrontServes reports whether the fast front serves the App's HTTP
// routes: they all run Spin 1.x modules, and the config does not ask for
// net/http.
func (a *App) fastFrontServes() bool {
	if a.cfg.NetHTTPFront || len(a.router.routes) == 0 {
		return false
	}
	for _, r := range a.router.routes {
		if _, ok := r.handler.exec.(*spinhttp.Executor); !ok {
			return false
		}
	}
	return true
}

// fastServer is the fast front's server (see serve).
type fastServer struct{ *fasthttp.Server }

func (s fastServer) Shutdown(ctx context.Context) error { return s.ShutdownWithContext(ctx) }

// fastHTTPServer serves through fasthttp the handler newHandler returns
// for the requests' context (base, see serve); bodies larger than maxBody
// get 413.
func fastHTTPServer(newHandler func(base context.Context) fasthttp.RequestHandler, maxBody int64) newServer {
	return func(base context.Context, fl *frontListener, opts frontOptions) httpServer {
		return fastServer{&fasthttp.Server{
			Handler: newHandler(base),
			// As net/http's front: the headers within the shorter of the
			// header and read timeouts, the body within the read timeout.
			ReadTimeout: min(readHeaderTimeout, opts.read),
			HeaderReceived: func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
				return fasthttp.RequestConfig{ReadTimeout: opts.read}
			},
			IdleTimeout:        opts.idle,
			MaxRequestBodySize: int(maxBody),
			// frontListener bounds the connections (more wait in the
			// backlog); fasthttp answers 503 to those over its own bound,
			// which a connection closing while the next is accepted could
			// reach.
			Concurrency: 2 * opts.maxConns,
			// net/http reads headers of up to 1 MB; fasthttp's buffer
			// bounds them (431 above it).
			ReadBufferSize:               maxHeaderBytes,
			NoDefaultServerHeader:        true,
			NoDefaultContentType:         true,
			DisablePreParseMultipartForm: true,
			CloseOnShutdown:              true,
			ConnState:                    func(c net.Conn, s fasthttp.ConnState) { fl.connState(c, httpConnState(s)) },
			Logger:                       fastLogger{base},
			ErrorHandler:                 answerReadError,
		}}
	}
}

// fastFrontHandler is the App's fast front's handler.
func (a *App) fastFrontHandler(base context.Context) fasthttp.RequestHandler {
	return (&fastFront{a: a, base: base}).serve
}

// answerReadError answers a request the server could not read as net/http
// does: 413 for a body over the bound, 431 for headers over theirs, 400
// otherwise.
func answerReadError(rc *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		rc.SetStatusCode(http.StatusRequestEntityTooLarge)
	case errors.As(err, &small):
		rc.SetStatusCode(http.StatusRequestHeaderFieldsTooLarge)
	default:
		rc.SetStatusCode(http.StatusBadRequest)
	}
}

// maxHeaderBytes bounds a request's line and headers on the fast front.
const maxHeaderBytes = 64 << 10

// httpConnState is net/http's name of a fasthttp connection state.
func httpConnState(s fasthttp.ConnState) http.ConnState {
	switch s {
	case fasthttp.StateNew:
		return http.StateNew
	case fasthttp.StateActive:
		return http.StateActive
	case fasthttp.StateIdle:
		return http.StateIdle
	case fasthttp.StateHijacked:
		return http.StateHijacked
	}
	return http.StateClosed
}

// fastLogger logs fasthttp's messages (connections it failed to serve) at
// debug level: a client's fault, as net/http's are, which it does not log.
type fastLogger struct{ ctx context.Context }

func (l fastLogger) Printf(format string, args ...any) {
	log.G(l.ctx).Debugf("http: "+format, args...)
}

// fastFront serves the requests of the fast front.
type fastFront struct {
	a    *App
	base context.Context
	reqs sync.Pool // of *fastRequest
}

// fastRequest is a request of the fast front, kept for the next one.
type fastRequest struct {
	inbound.Request
	// headers are the request's (see AppendHeaders).
	headers [][2]string
}

// reset forgets the request, keeping the headers' room.
func (fr *fastRequest) reset() {
	clear(fr.headers)
	*fr = fastRequest{headers: fr.headers[:0]}
}

func (f *fastFront) serve(rc *fasthttp.RequestCtx) {
	path, query, host, ok := requestTarget(&rc.Request.Header)
	if !ok {
		rc.SetStatusCode(http.StatusBadRequest)
		return
	}
	fr, _ := f.reqs.Get().(*fastRequest)
	if fr == nil {
		fr = new(fastRequest)
	}
	defer func() {
		fr.reset()
		f.reqs.Put(fr)
	}()
	if !fr.readHeaders(&rc.Request.Header, host) {
		rc.SetStatusCode(http.StatusBadRequest)
		return
	}
	if path == "*" && rc.IsOptions() {
		return // 200, as net/http answers "OPTIONS *" itself
	}
	if strings.HasPrefix(path, wellKnownPrefix) {
		f.serveWellKnown(rc, path)
		return
	}
	rt, params, ok := f.a.router.match(path)
	if !ok {
		rc.SetStatusCode(http.StatusNotFound)
		return
	}
	fr.Request = inbound.Request{
		Route: rt.inbound(params), Base: f.a.base, Path: path, Query: query,
		Method: methodName(rc.Method()), Host: host, RemoteAddr: rc.RemoteAddr().String(),
		Incoming: fr, Body: rc.PostBody(),
	}
	exec := rt.handler.exec.(*spinhttp.Executor) // see fastFrontServes
	answer, status := exec.Respond(f.base, &fr.Request)
	if answer == nil {
		rc.SetStatusCode(status)
		return
	}
	defer answer.Release()
	resp := answer.Response()
	if err := inbound.CheckResponse(resp); err != nil {
		inbound.LogFailure(f.base, rt.handler.id, err)
		rc.SetStatusCode(http.StatusInternalServerError)
		return
	}
	rc.SetStatusCode(resp.Status)
	for _, h := range resp.Headers {
		// The body's length is known: fasthttp sends it, whatever the
		// guest said. A 304 has no Content-Type (net/http drops it too).
		// (fasthttp sends its own Date, whatever the guest set.)
		if strings.EqualFold(h[0], "content-length") || strings.EqualFold(h[0], "transfer-encoding") ||
			resp.Status == http.StatusNotModified && strings.EqualFold(h[0], "content-type") {
			continue
		}
		rc.Response.Header.Set(h[0], h[1]) // of duplicate names the last wins
	}
	rc.Response.SetBody(resp.Body)
	if len(resp.Body) == 0 {
		// Sent for HEAD too, as net/http sends it.
		rc.Response.Header.SetContentLength(0)
	}
}

func (f *fastFront) serveWellKnown(rc *fasthttp.RequestCtx, path string) {
	switch path {
	case wellKnownHealth:
		rc.SetContentType("text/plain")
		rc.SetBodyString("OK")
	case wellKnownInfo:
		rc.SetContentType("application/json")
		rc.SetBody(f.a.info)
	default:
		rc.SetStatusCode(http.StatusNotFound)
	}
}

// readHeaders reads h's headers as net/http's front gives them to guests
// (inbound.IncomingHeaders): Host first (host: the request target's, else
// the header), then the others as received, without Transfer-Encoding
// (net/http takes it out, and Content-Length with it), names lowercase,
// sorted by name, one pair per line. (net/http also adds "Cache-Control:
// no-cache" to a request with "Pragma: no-cache" and none; Spin does not,
// nor does this.) It is false, as net/http answers 400, for a name or
// value that is not valid.
func (fr *fastRequest) readHeaders(h *fasthttp.RequestHeader, host string) bool {
	if host != "" {
		fr.headers = append(fr.headers, [2]string{"host", host})
	}
	start := len(fr.headers)
	chunked := false
	for name, value := range h.AllInOrder() {
		lower := httpheader.LowerBytes(name)
		switch lower {
		case "host":
			continue
		case "transfer-encoding":
			chunked = true
			continue
		}
		v := string(value)
		if !httpheader.ValidName(lower) || !httpheader.ValidValue(v) {
			return false
		}
		fr.headers = append(fr.headers, [2]string{lower, v})
	}
	if chunked {
		fr.headers = slices.DeleteFunc(fr.headers, func(p [2]string) bool { return p[0] == "content-length" })
	}
	slices.SortStableFunc(fr.headers[start:], func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return true
}

// AppendHeaders appends the request's headers (see readHeaders).
func (fr *fastRequest) AppendHeaders(out [][2]string) [][2]string {
	return append(out, fr.headers...)
}

// methodName is the method as a string, not allocated for Spin's methods.
func methodName(m []byte) string {
	if n, ok := inbound.SpinMethod(string(m)); ok { // the conversion does not escape: no copy
		name, _ := inbound.SpinMethodName(n)
		return name
	}
	return string(m)
}

// requestTarget is the request's escaped path and raw query as net/http
// gives them (URL.EscapedPath, URL.RawQuery), and its host (the target's,
// else the Host header). It is not ok where net/http answers 400: a
// target it cannot parse, or an HTTP/1.1 request without Host.
func requestTarget(h *fasthttp.RequestHeader) (path, query, host string, ok bool) {
	target := h.RequestURI()
	host = string(h.Host())
	if p, q, _ := bytes.Cut(target, []byte("?")); plainPath(p) && plainQuery(q) {
		path, query = string(p), string(q)
	} else {
		u, err := url.ParseRequestURI(string(target))
		if err != nil {
			return "", "", "", false
		}
		path, query = u.EscapedPath(), u.RawQuery
		if u.Host != "" {
			host = u.Host
		}
	}
	if host == "" && h.IsHTTP11() {
		return "", "", "", false
	}
	return path, query, host, true
}

// plainPath reports whether p is an origin-form path that net/http's
// EscapedPath gives back as it is: "/" first, then only characters a path
// may carry unescaped, and "%" followed by two hex digits.
func plainPath(p []byte) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:@[]/", c) >= 0:
		case c == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return false
			}
			i += 2
		default:
			return false
		}
	}
	return true
}

// plainQuery reports whether q has no byte net/http's parsing would
// reject or change: controls, spaces and "#".
func plainQuery(q []byte) bool {
	for _, c := range q {
		if c <= ' ' || c == 0x7f || c == '#' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
