package component

import (
	"context"
	"net/http"
	"strings"

	"github.com/spinoci/spinoci/engine/inbound"
	"github.com/spinoci/spinoci/engine/wasip2"
)

// serveInbound serves a component exporting fermyon:spin/inbound-http like
// the Spin executor serves modules: same request headers, body read whole,
// same status and header rules for the response.
func (e *Executor) serveInbound(ctx context.Context, w http.ResponseWriter, req *inbound.Request) {
	if _, ok := inbound.SpinMethod(req.Method); !ok {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	h, done := e.handler.Acquire()
	defer done()
	resp, err := e.host.CallInbound(ctx, h, wasip2.InboundRequest{
		Method:  strings.ToLower(req.Method),
		URI:     req.URI(),
		Headers: req.Headers(),
		// The body is always some, params always empty.
		Body: append([]byte{}, req.Body...),
	})
	if err != nil {
		inbound.Fail(ctx, w, e.id, err)
		return
	}
	inbound.WriteResponse(ctx, w, e.id, &inbound.Response{Status: resp.Status, Headers: resp.Headers, Body: resp.Body})
}
