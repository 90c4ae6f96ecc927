package coremodule

import (
	"errors"
	"fmt"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/engine/capability/outboundhttp"
	"github.com/spinoci/spinoci/engine/inbound"
)

// wasi-outbound-http http-error tags.
const (
	httpErrDestinationNotAllowed = 1
	httpErrInvalidURL            = 2
	httpErrRequestError          = 3
	httpErrRuntimeError          = 4
)

// httpErrorTag is the http-error tag of an outbound HTTP failure.
func httpErrorTag(err error) int {
	var oerr *outboundhttp.Error
	if !errors.As(err, &oerr) {
		return httpErrRuntimeError
	}
	switch oerr.Kind {
	case outboundhttp.DestinationNotAllowed:
		return httpErrDestinationNotAllowed
	case outboundhttp.InvalidURL:
		return httpErrInvalidURL
	case outboundhttp.RequestError:
		return httpErrRequestError
	}
	return httpErrRuntimeError
}

// hostOutboundRequest implements wasi-outbound-http.request(method, uri,
// headers, params, body, ret): 11 i32 parameters, 32-byte return area.
func hostOutboundRequest(call *hostCall, a []int32) error {
	g, err := call.guest()
	if err != nil {
		return err
	}
	uri, err := call.readString(a[1], a[2])
	if err != nil {
		return err
	}
	headers, err := g.readPairs(uint32(a[3]), uint32(a[4]))
	if err != nil {
		return fmt.Errorf("request headers: %w", err)
	}
	var body []byte
	if a[7] != 0 {
		if body, err = call.readBytes(a[8], a[9]); err != nil {
			return fmt.Errorf("request body: %w", err)
		}
	}
	comp := call.state.comp
	var resp *outboundhttp.Response
	method, ok := inbound.SpinMethodName(a[0])
	if ok {
		resp, err = call.state.host.outbound.Send(call.state.ctx, comp.AllowedHosts,
			&outboundhttp.Request{Method: method, URL: uri, Headers: headers, Body: body})
	} else {
		err = &outboundhttp.Error{Kind: outboundhttp.RequestError, Err: fmt.Errorf("invalid method %d", a[0])}
	}
	area := make(retArea, 32)
	if err != nil {
		log.G(call.state.ctx).WithField("component", comp.ID).WithField("url", uri).
			WithError(err).Warn("outbound HTTP request failed")
		area.u8(0, 1)
		area.u8(4, uint8(httpErrorTag(err)))
		return call.writeRet(a[10], area)
	}
	hdrPtr, err := g.putPairs(resp.Headers)
	if err != nil {
		return err
	}
	bodyPtr, err := g.put(resp.Body, 1)
	if err != nil {
		return err
	}
	area.u16(4, uint16(resp.Status))
	area.u8(8, 1)
	area.u32(12, hdrPtr)
	area.u32(16, uint32(len(resp.Headers)))
	area.u8(20, 1)
	area.u32(24, bodyPtr)
	area.u32(28, uint32(len(resp.Body)))
	return call.writeRet(a[10], area)
}
