package component

import (
	"context"
	"fmt"
	"net/http"

	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/inbound"
	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/engine/wasip2"
)

// Runtime is the component engine and linker (holding the WASI 0.2 host)
// that an App's components share.
type Runtime struct {
	Engine *capi.Engine
	Linker *capi.Linker
}

// Executor serves one component's requests, each in a fresh Store.
type Executor struct {
	id   string
	host *wasip2.Host
	// handler is swapped by the App's tier-up while requests are served.
	handler wasip2.HandlerSwap
	// inboundHTTP: the component exports fermyon:spin/inbound-http rather
	// than wasi:http/incoming-handler.
	inboundHTTP bool
}

// New returns the executor of component id, compiled as c, whose guests
// see cfg. c must export wasi:http/incoming-handler@0.2.x or
// fermyon:spin/inbound-http.
func New(id string, rt Runtime, c *capi.Component, cfg wasip2.Config) (*Executor, error) {
	export, ok := wasip2.IncomingHandlerExport(c)
	inboundHTTP := !ok && c.HasExport(wasip2.InboundHTTPExport, "handle-request")
	if !ok && !inboundHTTP {
		return nil, fmt.Errorf("component exports no wasi:http/incoming-handler@0.2.x interface, nor %s", wasip2.InboundHTTPExport)
	}
	e := &Executor{
		id:          id,
		host:        wasip2.NewHost(cfg),
		inboundHTTP: inboundHTTP,
	}
	e.handler.Store(&wasip2.Handler{Engine: rt.Engine, Linker: rt.Linker, Component: c, Export: export})
	return e, nil
}

// ReleaseAfterResponse makes each request release its instance after the
// response has gone (see wasip2.Handler.ReleaseAfterResponse).
func (e *Executor) ReleaseAfterResponse() {
	h := *e.handler.Load()
	h.ReleaseAfterResponse = true
	e.handler.Store(&h)
}

// Code is the component's code that later requests instantiate, which
// the App's tier-up replaces (requests in flight finish with the code they
// started with).
func (e *Executor) Code() *wasip2.HandlerSwap { return &e.handler }

// StreamsBody reports whether the guest reads the request body itself
// (wasi:http), rather than getting it whole (inbound-http).
func (e *Executor) StreamsBody() bool { return !e.inboundHTTP }

// Serve answers req.
func (e *Executor) Serve(ctx context.Context, w http.ResponseWriter, req *inbound.Request) {
	if e.inboundHTTP {
		e.serveInbound(ctx, w, req)
		return
	}
	var extra [][2]string
	for _, h := range req.SpinHeaders() {
		extra = append(extra, [2]string{h.Header, h.Value})
	}
	h, done := e.handler.Acquire()
	defer done()
	sent, err := e.host.Serve(ctx, h, w, req.HTTP, extra)
	if err == nil {
		return
	}
	if sent {
		// The status is out: all that is left is to cut the response short.
		log.G(ctx).WithError(err).WithField("component", e.id).Error("request failed after the response started")
		panic(http.ErrAbortHandler)
	}
	inbound.Fail(ctx, w, e.id, err)
}
