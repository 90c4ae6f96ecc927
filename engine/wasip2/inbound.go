package wasip2

import (
	"context"
	"fmt"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// InboundHTTPExport is the interface a componentized Spin 1.x HTTP module
// exports (`spin registry push` wraps such modules in a component):
// handle-request: func(req: request) -> response, with the records of
// fermyon:spin/http-types.
const InboundHTTPExport = "fermyon:spin/inbound-http"

// InboundRequest is a fermyon:spin/http-types request.
type InboundRequest struct {
	// Method is the method enum case: get, post, put, delete, patch, head
	// or options.
	Method  string
	URI     string
	Headers [][2]string
	Params  [][2]string
	Body    []byte
}

// InboundResponse is a fermyon:spin/http-types response.
type InboundResponse struct {
	Status  int
	Headers [][2]string
	Body    []byte
}

// CallInbound calls hd.Component's fermyon:spin/inbound-http handle-request
// with req in a fresh Store (hd.Export is not used).
func (h *Host) CallInbound(ctx context.Context, hd *Handler, req InboundRequest) (*InboundResponse, error) {
	_, handle, release, err := h.exportFunc(ctx, hd, InboundHTTPExport, "handle-request")
	if err != nil {
		return nil, err
	}
	defer release()
	body := capi.Option{}
	if req.Body != nil {
		body = capi.Some(capi.Bytes(req.Body))
	}
	arg := capi.Record{
		{Name: "method", Val: capi.Enum(req.Method)},
		{Name: "uri", Val: capi.String(req.URI)},
		{Name: "headers", Val: pairsVal(req.Headers)},
		{Name: "params", Val: pairsVal(req.Params)},
		{Name: "body", Val: body},
	}
	out, err := handle.Call(1, arg)
	if err != nil {
		return nil, fmt.Errorf("%s#handle-request: %w", InboundHTTPExport, err)
	}
	resp, err := inboundResponse(out[0])
	if err != nil {
		return nil, fmt.Errorf("%s#handle-request returned %w", InboundHTTPExport, err)
	}
	return resp, nil
}

func pairsVal(pairs [][2]string) capi.List {
	l := make(capi.List, len(pairs))
	for i, p := range pairs {
		l[i] = capi.Tuple{capi.String(p[0]), capi.String(p[1])}
	}
	return l
}

// inboundResponse reads a fermyon:spin/http-types response record.
func inboundResponse(v capi.Val) (*InboundResponse, error) {
	rec, ok := v.(capi.Record)
	if !ok || len(rec) != 3 {
		return nil, fmt.Errorf("%T, want a response record", v)
	}
	status, ok := rec[0].Val.(capi.U16)
	if !ok {
		return nil, fmt.Errorf("a status of type %T, want u16", rec[0].Val)
	}
	resp := &InboundResponse{Status: int(status)}
	if hdrs, ok := rec[1].Val.(capi.Option); ok && hdrs.Val != nil {
		list, _ := hdrs.Val.(capi.List)
		for _, e := range list {
			t, ok := e.(capi.Tuple)
			if !ok || len(t) != 2 {
				return nil, fmt.Errorf("a header of type %T, want tuple<string, string>", e)
			}
			name, ok1 := t[0].(capi.String)
			value, ok2 := t[1].(capi.String)
			if !ok1 || !ok2 {
				return nil, fmt.Errorf("a header of types %T, %T, want strings", t[0], t[1])
			}
			resp.Headers = append(resp.Headers, [2]string{string(name), string(value)})
		}
	}
	if b, ok := rec[2].Val.(capi.Option); ok && b.Val != nil {
		body, err := argBytes(nil, b.Val)
		if err != nil {
			return nil, fmt.Errorf("a body that is not list<u8>: %w", err)
		}
		resp.Body = body
	}
	return resp, nil
}
