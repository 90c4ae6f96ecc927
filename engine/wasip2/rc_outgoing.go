package wasip2

import (
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// Outgoing HTTP of WASI 0.2.0-rc-2023-10-18 (Spin 2.0): the request is built
// in one constructor from borrowed headers, its body taken with write,
// request options are a record, and errors are the candidate's error
// variant instead of error-code. Sending, policy and responses are 0.2's.

// adaptOutgoingOct2023 adapts the wasi:http/types functions of outgoing
// requests in i (a copy of the 0.2 implementation) to rc-2023-10-18.
func adaptOutgoingOct2023(i *iface) {
	i.funcs["[constructor]outgoing-request"] = fn5(argMethod, argOption(argString), argOption(argScheme), argOption(argString), borrowed[*fields],
		func(st *State, method string, path, scheme, authority *string, h *fields) (results, error) {
			r := &outgoingRequest{method: method, pathWithQuery: path, scheme: scheme, authority: authority, headers: h.clone()}
			return one(st.own(tyOutgoingRequest, r))
		})
	i.funcs["[method]outgoing-request.write"] = i.funcs["[method]outgoing-request.body"]
	get := i.funcs["[method]future-incoming-response.get"]
	i.funcs["[method]future-incoming-response.get"] = func(st *State, args []capi.Val) (results, error) {
		out, err := get(st, args)
		if err != nil || len(out) != 1 {
			return out, err
		}
		// option<result<result<incoming-response, error-code>>>: map the
		// innermost error.
		if o, ok := out[0].(capi.Option); ok {
			if outer, ok := o.Val.(capi.Result); ok && outer.Ok {
				if inner, ok := outer.Val.(capi.Result); ok && !inner.Ok {
					return one(capi.Some(capi.Ok(capi.Err(oct2023Error(inner.Val)))))
				}
			}
		}
		return out, nil
	}
}

// adaptOutgoingHandlerOct2023 adapts wasi:http/outgoing-handler.handle,
// whose options are a record (ignored, as 0.2's timeouts are) and whose
// error is the candidate's error variant.
func adaptOutgoingHandlerOct2023(i *iface) {
	handle := i.funcs["handle"]
	i.funcs["handle"] = func(st *State, args []capi.Val) (results, error) {
		if len(args) != 2 {
			return handle(st, args)
		}
		out, err := handle(st, []capi.Val{args[0], capi.None})
		if err != nil || len(out) != 1 {
			return out, err
		}
		if r, ok := out[0].(capi.Result); ok && !r.Ok {
			return one(capi.Err(oct2023Error(r.Val)))
		}
		return out, nil
	}
}

// oct2023Error maps a 0.2 error-code to rc-2023-10-18's error variant
// (invalid-url, timeout-error, protocol-error, unexpected-error, each with
// a message).
func oct2023Error(code capi.Val) capi.Val {
	v, _ := code.(capi.Variant)
	msg := v.Case
	if o, ok := v.Val.(capi.Option); ok {
		if s, ok := o.Val.(capi.String); ok {
			msg = string(s)
		}
	}
	switch v.Case {
	case "HTTP-request-URI-invalid":
		return capi.Variant{Case: "invalid-url", Val: capi.String(msg)}
	case "connection-timeout", "HTTP-response-timeout":
		return capi.Variant{Case: "timeout-error", Val: capi.String(msg)}
	case "HTTP-protocol-error":
		return capi.Variant{Case: "protocol-error", Val: capi.String(msg)}
	}
	return capi.Variant{Case: "unexpected-error", Val: capi.String(msg)}
}
