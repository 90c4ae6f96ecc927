package wasip2

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"

	component "github.com/spinoci/spinoci/engine/internal/capi"
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
	err   component.Val // error-code, when the request failed
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

func optString(v component.Val) *string {
	if o, ok := v.(component.Option); ok && o.Val != nil {
		switch s := o.Val.(type) {
		case component.String:
			str := string(s)
			return &str
		case component.Variant: // scheme
			str := s.Case
			if s.Case == "other" {
				o, _ := s.Val.(component.String)
				str = string(o)
			}
			return &str
		}
	}
	return nil
}

func someString(s *string) component.Val {
	if s == nil {
		return component.None
	}
	return component.Some(component.String(*s))
}

func outgoingRequestFuncs(i *iface) {
	i.types["outgoing-request"] = tyOutgoingRequest
	i.types["request-options"] = tyRequestOptions
	i.types["future-incoming-response"] = tyFutureIncomingResponse
	i.types["incoming-response"] = tyIncomingResponse
	i.funcs["[constructor]outgoing-request"] = func(st *State, args []component.Val) ([]component.Val, error) {
		h, err := take[*fields](st, args[0])
		if err != nil {
			return nil, err
		}
		return one(st.own(tyOutgoingRequest, &outgoingRequest{method: http.MethodGet, headers: h}))
	}
	req := func(f func(st *State, r *outgoingRequest, args []component.Val) ([]component.Val, error)) fn {
		return func(st *State, args []component.Val) ([]component.Val, error) {
			r, err := get[*outgoingRequest](st, args[0])
			if err != nil {
				return nil, err
			}
			return f(st, r, args)
		}
	}
	i.funcs["[method]outgoing-request.body"] = req(func(st *State, r *outgoingRequest, _ []component.Val) ([]component.Val, error) {
		if r.bodyTaken {
			return one(component.Err(nil))
		}
		r.bodyTaken = true
		r.body = &requestBody{}
		body := &outgoingBody{w: r.body, onFinish: r.body.finish}
		return one(component.Ok(st.own(tyOutgoingBody, body)))
	})
	i.funcs["[method]outgoing-request.method"] = req(func(_ *State, r *outgoingRequest, _ []component.Val) ([]component.Val, error) {
		return one(methodVal(r.method))
	})
	i.funcs["[method]outgoing-request.set-method"] = req(func(_ *State, r *outgoingRequest, args []component.Val) ([]component.Val, error) {
		m, err := methodString(args[1])
		if err != nil || m == "" {
			return one(component.Err(nil))
		}
		r.method = m
		return one(component.Ok(nil))
	})
	for name, field := range map[string]func(r *outgoingRequest) **string{
		"path-with-query": func(r *outgoingRequest) **string { return &r.pathWithQuery },
		"scheme":          func(r *outgoingRequest) **string { return &r.scheme },
		"authority":       func(r *outgoingRequest) **string { return &r.authority },
	} {
		isScheme := name == "scheme"
		i.funcs["[method]outgoing-request."+name] = req(func(_ *State, r *outgoingRequest, _ []component.Val) ([]component.Val, error) {
			s := *field(r)
			if isScheme && s != nil {
				switch *s {
				case "HTTP", "HTTPS":
					return one(component.Some(component.Variant{Case: *s}))
				}
				return one(component.Some(component.Variant{Case: "other", Val: component.String(*s)}))
			}
			return one(someString(s))
		})
		i.funcs["[method]outgoing-request.set-"+name] = req(func(_ *State, r *outgoingRequest, args []component.Val) ([]component.Val, error) {
			*field(r) = optString(args[1])
			return one(component.Ok(nil))
		})
	}
	i.funcs["[method]outgoing-request.headers"] = req(func(st *State, r *outgoingRequest, _ []component.Val) ([]component.Val, error) {
		return one(st.own(tyFields, r.headers))
	})
	i.funcs["[constructor]request-options"] = func(st *State, _ []component.Val) ([]component.Val, error) {
		return one(st.own(tyRequestOptions, &requestOptions{}))
	}
	for name, field := range map[string]func(o *requestOptions) **uint64{
		"connect-timeout":       func(o *requestOptions) **uint64 { return &o.connect },
		"first-byte-timeout":    func(o *requestOptions) **uint64 { return &o.firstByte },
		"between-bytes-timeout": func(o *requestOptions) **uint64 { return &o.betweenBytes },
	} {
		i.funcs["[method]request-options."+name] = func(st *State, args []component.Val) ([]component.Val, error) {
			o, err := get[*requestOptions](st, args[0])
			if err != nil {
				return nil, err
			}
			if d := *field(o); d != nil {
				return one(component.Some(component.U64(*d)))
			}
			return one(component.None)
		}
		i.funcs["[method]request-options.set-"+name] = func(st *State, args []component.Val) ([]component.Val, error) {
			o, err := get[*requestOptions](st, args[0])
			if err != nil {
				return nil, err
			}
			*field(o) = nil
			if opt, ok := args[1].(component.Option); ok && opt.Val != nil {
				d, _ := opt.Val.(component.U64)
				v := uint64(d)
				*field(o) = &v
			}
			return one(component.Ok(nil))
		}
	}
	i.funcs["[method]future-incoming-response.subscribe"] = func(st *State, args []component.Val) ([]component.Val, error) {
		f, err := get[*futureResponse](st, args[0])
		if err != nil {
			return nil, err
		}
		return one(st.own(tyPollable, &pollable{ready: f.done}))
	}
	i.funcs["[method]future-incoming-response.get"] = func(st *State, args []component.Val) ([]component.Val, error) {
		f, err := get[*futureResponse](st, args[0])
		if err != nil {
			return nil, err
		}
		select {
		case <-f.done:
		default:
			return one(component.None)
		}
		if f.taken {
			return one(component.Some(component.Err(nil)))
		}
		f.taken = true
		if f.err != nil {
			return one(component.Some(component.Ok(component.Err(f.err))))
		}
		ir := &incomingResponse{resp: f.resp, headers: fieldsFromHeader(f.resp.Header)}
		ir.headers.immutable = true
		return one(component.Some(component.Ok(component.Ok(st.own(tyIncomingResponse, ir)))))
	}
	i.funcs["[method]incoming-response.status"] = func(st *State, args []component.Val) ([]component.Val, error) {
		r, err := get[*incomingResponse](st, args[0])
		if err != nil {
			return nil, err
		}
		return one(component.U16(r.resp.StatusCode))
	}
	i.funcs["[method]incoming-response.headers"] = func(st *State, args []component.Val) ([]component.Val, error) {
		r, err := get[*incomingResponse](st, args[0])
		if err != nil {
			return nil, err
		}
		return one(st.own(tyFields, r.headers))
	}
	i.funcs["[method]incoming-response.consume"] = func(st *State, args []component.Val) ([]component.Val, error) {
		r, err := get[*incomingResponse](st, args[0])
		if err != nil {
			return nil, err
		}
		if r.consumed {
			return one(component.Err(nil))
		}
		r.consumed = true
		return one(component.Ok(st.own(tyIncomingBody, &incomingBody{r: r.resp.Body})))
	}
}

func httpOutgoing() *iface {
	i := newIface("wasi:http/outgoing-handler" + wasiVersion)
	i.funcs["handle"] = func(st *State, args []component.Val) ([]component.Val, error) {
		r, err := take[*outgoingRequest](st, args[0])
		if err != nil {
			return nil, err
		}
		var opts *requestOptions
		if o, ok := args[1].(component.Option); ok && o.Val != nil {
			opts, _ = take[*requestOptions](st, o.Val)
		}
		hreq, errCode := st.buildRequest(r, opts)
		if errCode != nil {
			return one(component.Err(errCode))
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
		return one(component.Ok(st.own(tyFutureIncomingResponse, f)))
	}
	return i
}

// buildRequest checks the request against the outbound policy and makes
// the *http.Request, or returns an error-code.
func (st *State) buildRequest(r *outgoingRequest, opts *requestOptions) (*http.Request, component.Val) {
	scheme := "http"
	if r.scheme != nil {
		switch *r.scheme {
		case "HTTP":
		case "HTTPS":
			scheme = "https"
		default:
			return nil, component.Variant{Case: "HTTP-protocol-error"}
		}
	}
	if r.authority == nil || *r.authority == "" {
		return nil, component.Variant{Case: "HTTP-request-URI-invalid"}
	}
	path := "/"
	if r.pathWithQuery != nil {
		path = *r.pathWithQuery
	}
	u, err := url.Parse(scheme + "://" + *r.authority + path)
	if err != nil {
		return nil, component.Variant{Case: "HTTP-request-URI-invalid"}
	}
	if st.host.cfg.Outbound == nil || !st.host.cfg.Outbound.AllowedURL(u) {
		return nil, component.Variant{Case: "HTTP-request-denied"}
	}
	var body io.Reader = http.NoBody
	if r.body != nil {
		body = r.body.reader()
	}
	// Request options (timeouts) are accepted but not applied: the
	// request ends with the incoming request's context.
	_ = opts
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
func transportError(err error) component.Val {
	var nerr net.Error
	var oerr *net.OpError
	switch {
	case errors.As(err, &oerr) && oerr.Op == "dial":
		return component.Variant{Case: "connection-refused"}
	case errors.As(err, &nerr) && nerr.Timeout():
		return component.Variant{Case: "connection-timeout"}
	case errors.Is(err, context.DeadlineExceeded):
		return component.Variant{Case: "HTTP-response-timeout"}
	}
	return internalError(err)
}
