package engine

import (
	"context"
	"net/http"
	"strings"

	"github.com/spinoci/spinoci/engine/wasip2"
)

// inboundExecutor serves components exporting fermyon:spin/inbound-http
// (Spin 1.x modules componentized by `spin registry push`) like the Spin
// executor serves the modules: same request headers, body read whole,
// same status and header rules for the response.
type inboundExecutor struct {
	host    *wasip2.Host
	handler *wasip2.Handler
}

func (e *inboundExecutor) serve(ctx context.Context, c *component, w http.ResponseWriter, req *request) {
	if _, ok := spinMethod(req.r.Method); !ok {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	resp, err := e.host.CallInbound(ctx, e.handler, wasip2.InboundRequest{
		Method:  strings.ToLower(req.r.Method),
		URI:     req.uri(),
		Headers: requestHeaders(req),
		// The body is always some, params always empty.
		Body: append([]byte{}, req.body...),
	})
	if err != nil {
		c.fail(ctx, w, err)
		return
	}
	writeResponse(ctx, c, w, &response{status: resp.Status, headers: resp.Headers, body: resp.Body})
}
