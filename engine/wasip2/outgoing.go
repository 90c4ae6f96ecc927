package wasip2

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

type outgoingRequest struct {
	method        string
	pathWithQuery *string
	scheme        *string
	authority     *string
	headers       *fields
	body          *requestBody
	bodyTaken     bool
}

// requestBody buffers what the guest writes until the request is sent, then
// streams the rest through a pipe.
type requestBody struct {
	buf      bytes.Buffer
	pw       *io.PipeWriter
	finished bool
}

func (b *requestBody) Write(p []byte) (int, error) {
	if b.pw != nil {
		return b.pw.Write(p)
	}
	return b.buf.Write(p)
}

// reader returns the body to send; later writes flow through it.
func (b *requestBody) reader() io.Reader {
	if b.finished {
		return bytes.NewReader(b.buf.Bytes())
	}
	pr, pw := io.Pipe()
	b.pw = pw
	return io.MultiReader(bytes.NewReader(b.buf.Bytes()), pr)
}

func (b *requestBody) finish() error {
	b.finished = true
	if b.pw != nil {
		return b.pw.Close()
	}
	return nil
}

type requestOptions struct {
	connect, firstByte, betweenBytes *uint64
}

type futureResponse struct {
	done  chan struct{}
	resp  *http.Response
	err   capi.Val // error-code, when the request failed
	taken bool
}

func (f *futureResponse) close() {
	if !f.taken {
		go func() {
			<-f.done
			if f.resp != nil {
				f.resp.Body.Close()
			}
		}()
	}
}

type incomingResponse struct {
	resp     *http.Response
	headers  *fields
	consumed bool
}

func (r *incomingResponse) close() {
	if !r.consumed {
		r.resp.Body.Close()
	}
}

func someString(s *string) capi.Val {
	if s == nil {
		return capi.None
	}
	return capi.Some(capi.String(*s))
}

func outgoingRequestFuncs(i *iface) {
	i.types["outgoing-request"] = tyOutgoingRequest
	i.types["request-options"] = tyRequestOptions
	i.types["future-incoming-response"] = tyFutureIncomingResponse
	i.types["incoming-response"] = tyIncomingResponse
	i.funcs["[constructor]outgoing-request"] = fn1(owned[*fields], func(st *State, h *fields) (results, error) {
		return one(st.own(tyOutgoingRequest, &outgoingRequest{method: http.MethodGet, headers: h}))
	})
	req := borrowed[*outgoingRequest]
	i.funcs["[method]outgoing-request.body"] = fn1(req, func(st *State, r *outgoingRequest) (results, error) {
		if r.bodyTaken {
			return one(capi.Err(nil))
		}
		r.bodyTaken = true
		r.body = &requestBody{}
		body := &outgoingBody{w: r.body, onFinish: r.body.finish}
		return one(capi.Ok(st.own(tyOutgoingBody, body)))
	})
	i.funcs["[method]outgoing-request.method"] = fn1(req, func(_ *State, r *outgoingRequest) (results, error) {
		return one(methodVal(r.method))
	})
	i.funcs["[method]outgoing-request.set-method"] = fn2(req, argMethod, func(_ *State, r *outgoingRequest, m string) (results, error) {
		if m == "" {
			return one(capi.Err(nil))
		}
		r.method = m
		return one(capi.Ok(nil))
	})
	for name, field := range map[string]struct {
		of   func(r *outgoingRequest) **string
		read reader[string]
	}{
		"path-with-query": {func(r *outgoingRequest) **string { return &r.pathWithQuery }, argString},
		"scheme":          {func(r *outgoingRequest) **string { return &r.scheme }, argScheme},
		"authority":       {func(r *outgoingRequest) **string { return &r.authority }, argString},
	} {
		isScheme := name == "scheme"
		i.funcs["[method]outgoing-request."+name] = fn1(req, func(_ *State, r *outgoingRequest) (results, error) {
			s := *field.of(r)
			if isScheme && s != nil {
				switch *s {
				case "HTTP", "HTTPS":
					return one(capi.Some(capi.Variant{Case: *s}))
				}
				return one(capi.Some(capi.Variant{Case: "other", Val: capi.String(*s)}))
			}
			return one(someString(s))
		})
		i.funcs["[method]outgoing-request.set-"+name] = fn2(req, argOption(field.read), func(_ *State, r *outgoingRequest, v *string) (results, error) {
			*field.of(r) = v
			return one(capi.Ok(nil))
		})
	}
	i.funcs["[method]outgoing-request.headers"] = fn1(req, func(st *State, r *outgoingRequest) (results, error) {
		return one(st.own(tyFields, r.headers))
	})
	i.funcs["[constructor]request-options"] = fn0(func(st *State) (results, error) {
		return one(st.own(tyRequestOptions, &requestOptions{}))
	})
	opts := borrowed[*requestOptions]
	for name, field := range map[string]func(o *requestOptions) **uint64{
		"connect-timeout":       func(o *requestOptions) **uint64 { return &o.connect },
		"first-byte-timeout":    func(o *requestOptions) **uint64 { return &o.firstByte },
		"between-bytes-timeout": func(o *requestOptions) **uint64 { return &o.betweenBytes },
	} {
		i.funcs["[method]request-options."+name] = fn1(opts, func(_ *State, o *requestOptions) (results, error) {
			if d := *field(o); d != nil {
				return one(capi.Some(capi.U64(*d)))
			}
			return one(capi.None)
		})
		i.funcs["[method]request-options.set-"+name] = fn2(opts, argOption(argU64), func(_ *State, o *requestOptions, d *uint64) (results, error) {
			*field(o) = d
			return one(capi.Ok(nil))
		})
	}
	future := borrowed[*futureResponse]
	i.funcs["[method]future-incoming-response.subscribe"] = fn1(future, func(st *State, f *futureResponse) (results, error) {
		return one(st.own(tyPollable, &pollable{ready: f.done}))
	})
	i.funcs["[method]future-incoming-response.get"] = fn1(future, func(st *State, f *futureResponse) (results, error) {
		select {
		case <-f.done:
		default:
			return one(capi.None)
		}
		if f.taken {
			return one(capi.Some(capi.Err(nil)))
		}
		f.taken = true
		if f.err != nil {
			return one(capi.Some(capi.Ok(capi.Err(f.err))))
		}
		ir := &incomingResponse{resp: f.resp, headers: fieldsFromHeader(f.resp.Header)}
		ir.headers.immutable = true
		return one(capi.Some(capi.Ok(capi.Ok(st.own(tyIncomingResponse, ir)))))
	})
	resp := borrowed[*incomingResponse]
	i.funcs["[method]incoming-response.status"] = fn1(resp, func(st *State, r *incomingResponse) (results, error) {
		return one(capi.U16(r.resp.StatusCode))
	})
	i.funcs["[method]incoming-response.headers"] = fn1(resp, func(st *State, r *incomingResponse) (results, error) {
		return one(st.own(tyFields, r.headers))
	})
	i.funcs["[method]incoming-response.consume"] = fn1(resp, func(st *State, r *incomingResponse) (results, error) {
		if r.consumed {
			return one(capi.Err(nil))
		}
		r.consumed = true
		return one(capi.Ok(st.own(tyIncomingBody, &incomingBody{r: r.resp.Body})))
	})
}

func httpOutgoing() *iface {
	i := newIface("wasi:http/outgoing-handler" + wasiVersion)
	i.funcs["handle"] = fn2(owned[*outgoingRequest], argOption(owned[*requestOptions]), func(st *State, r *outgoingRequest, _ **requestOptions) (results, error) {
		// Request options (timeouts) are accepted but not applied: the
		// request ends with the incoming request's context.
		hreq, errCode := st.buildRequest(r)
		if errCode != nil {
			return one(capi.Err(errCode))
		}
		f := &futureResponse{done: make(chan struct{})}
		go func() {
			defer close(f.done)
			resp, err := st.host.cfg.HTTPClient.Do(hreq)
			if err != nil {
				f.err = transportError(err)
				return
			}
			f.resp = resp
		}()
		return one(capi.Ok(st.own(tyFutureIncomingResponse, f)))
	})
	return i
}

// selfAuthority is the authority of requests to the app itself; the App's
// HTTP client serves them in-process.
const selfAuthority = "self"

// buildRequest checks the request against the outbound policy and makes
// the *http.Request, or returns an error-code.
func (st *State) buildRequest(r *outgoingRequest) (*http.Request, capi.Val) {
	scheme := "http"
	if r.scheme != nil {
		switch *r.scheme {
		case "HTTP":
		case "HTTPS":
			scheme = "https"
		default:
			return nil, capi.Variant{Case: "HTTP-protocol-error"}
		}
	}
	policy := st.host.cfg.Outbound
	// A request without an authority goes to the app itself ("self"),
	// which the HTTP client serves in-process.
	authority, self := selfAuthority, true
	if r.authority != nil && *r.authority != "" {
		authority, self = *r.authority, false
	}
	path := "/"
	if r.pathWithQuery != nil {
		path = *r.pathWithQuery
	}
	u, err := url.Parse(scheme + "://" + authority + path)
	if err != nil {
		return nil, capi.Variant{Case: "HTTP-request-URI-invalid"}
	}
	if policy == nil || (self && !policy.AllowsSelf()) || (!self && !policy.AllowedURL(u)) {
		return nil, capi.Variant{Case: "HTTP-request-denied"}
	}
	var body io.Reader = http.NoBody
	if r.body != nil {
		body = r.body.reader()
	}
	hreq, err := http.NewRequestWithContext(st.ctx, r.method, u.String(), body)
	if err != nil {
		return nil, internalError(err)
	}
	r.headers.toHeader(hreq.Header)
	if h := hreq.Header.Get("Host"); h != "" {
		hreq.Host = h
		hreq.Header.Del("Host")
	}
	return hreq, nil
}

// transportError maps a client error to an error-code.
func transportError(err error) capi.Val {
	var nerr net.Error
	var oerr *net.OpError
	switch {
	case errors.As(err, &oerr) && oerr.Op == "dial":
		return capi.Variant{Case: "connection-refused"}
	case errors.As(err, &nerr) && nerr.Timeout():
		return capi.Variant{Case: "connection-timeout"}
	case errors.Is(err, context.DeadlineExceeded):
		return capi.Variant{Case: "HTTP-response-timeout"}
	}
	return internalError(err)
}
