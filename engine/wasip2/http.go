package wasip2

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// exchange is the incoming HTTP request a Store is serving.
type exchange struct {
	w        http.ResponseWriter
	r        *http.Request
	set      bool  // response-outparam.set was called
	sent     bool  // status and headers written
	setErr   error // set with an error-code
	pending  bytes.Buffer
	finished bool
}

// Write is the response body sink: buffered until the headers are sent.
func (ex *exchange) Write(b []byte) (int, error) {
	if !ex.sent {
		return ex.pending.Write(b)
	}
	return ex.w.Write(b)
}

func (ex *exchange) flush() error {
	if ex.sent {
		if f, ok := ex.w.(http.Flusher); ok {
			f.Flush()
		}
	}
	return nil
}

type incomingRequest struct {
	r        *http.Request
	headers  *fields
	consumed bool
}

type incomingBody struct {
	r           io.Reader
	streamTaken bool
}

type futureTrailers struct{}

type outgoingResponse struct {
	status    int
	headers   *fields
	bodyTaken bool
}

// outgoingBody is the body of an outgoing response or request.
type outgoingBody struct {
	w          io.Writer
	flush      func() error
	stream     *outputStream
	streamOut  bool
	onFinish   func() error
	isFinished bool
}

func (b *outgoingBody) finish() error {
	if b.isFinished {
		return nil
	}
	b.isFinished = true
	if b.stream != nil {
		b.stream.finished = true
	}
	if b.onFinish != nil {
		return b.onFinish()
	}
	return nil
}

type responseOutparam struct{ ex *exchange }

// method variant cases (wasi:http/types.method).
func methodVal(m string) capi.Val {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete,
		http.MethodConnect, http.MethodOptions, http.MethodTrace, http.MethodPatch:
		return capi.Variant{Case: strings.ToLower(m)}
	}
	return capi.Variant{Case: "other", Val: capi.String(m)}
}

func httpTypes() *iface {
	i := newIface("wasi:http/types" + wasiVersion)
	fieldsFuncs(i)
	i.types["incoming-request"] = tyIncomingRequest
	i.types["response-outparam"] = tyResponseOutparam
	i.types["incoming-body"] = tyIncomingBody
	i.types["future-trailers"] = tyFutureTrailers
	i.types["outgoing-response"] = tyOutgoingResponse
	i.types["outgoing-body"] = tyOutgoingBody
	request := borrowed[*incomingRequest]
	i.funcs["[method]incoming-request.method"] = fn1(request, func(_ *State, req *incomingRequest) (results, error) {
		return one(methodVal(req.r.Method))
	})
	i.funcs["[method]incoming-request.path-with-query"] = fn1(request, func(_ *State, req *incomingRequest) (results, error) {
		return one(capi.Some(capi.String(req.r.URL.RequestURI())))
	})
	i.funcs["[method]incoming-request.scheme"] = fn1(request, func(_ *State, req *incomingRequest) (results, error) {
		if req.r.TLS != nil {
			return one(capi.Some(capi.Variant{Case: "HTTPS"}))
		}
		return one(capi.Some(capi.Variant{Case: "HTTP"}))
	})
	i.funcs["[method]incoming-request.authority"] = fn1(request, func(_ *State, req *incomingRequest) (results, error) {
		return one(capi.Some(capi.String(req.r.Host)))
	})
	i.funcs["[method]incoming-request.headers"] = fn1(request, func(st *State, req *incomingRequest) (results, error) {
		return one(st.own(tyFields, req.headers))
	})
	i.funcs["[method]incoming-request.consume"] = fn1(request, func(st *State, req *incomingRequest) (results, error) {
		if req.consumed {
			return one(capi.Err(nil))
		}
		req.consumed = true
		return one(capi.Ok(st.own(tyIncomingBody, &incomingBody{r: req.r.Body})))
	})
	i.funcs["[method]incoming-body.stream"] = fn1(borrowed[*incomingBody], func(st *State, b *incomingBody) (results, error) {
		if b.streamTaken {
			return one(capi.Err(nil))
		}
		b.streamTaken = true
		return one(capi.Ok(st.own(tyInputStream, &inputStream{r: b.r})))
	})
	i.funcs["[static]incoming-body.finish"] = fn1(owned[*incomingBody], func(st *State, _ *incomingBody) (results, error) {
		return one(st.own(tyFutureTrailers, &futureTrailers{}))
	})
	i.funcs["[method]future-trailers.subscribe"] = fn1(borrowed[*futureTrailers], func(st *State, _ *futureTrailers) (results, error) {
		return one(st.own(tyPollable, &pollable{}))
	})
	i.funcs["[method]future-trailers.get"] = fn1(borrowed[*futureTrailers], func(*State, *futureTrailers) (results, error) {
		// Trailers are not forwarded: always "no trailers".
		return one(capi.Some(capi.Ok(capi.Ok(capi.None))))
	})
	i.funcs["[constructor]outgoing-response"] = fn1(owned[*fields], func(st *State, h *fields) (results, error) {
		h.immutable = false
		return one(st.own(tyOutgoingResponse, &outgoingResponse{status: http.StatusOK, headers: h}))
	})
	resp := borrowed[*outgoingResponse]
	i.funcs["[method]outgoing-response.status-code"] = fn1(resp, func(_ *State, r *outgoingResponse) (results, error) {
		return one(capi.U16(r.status))
	})
	i.funcs["[method]outgoing-response.set-status-code"] = fn2(resp, argU16, func(_ *State, r *outgoingResponse, code uint16) (results, error) {
		if code < 100 || code > 999 {
			return one(capi.Err(nil))
		}
		r.status = int(code)
		return one(capi.Ok(nil))
	})
	i.funcs["[method]outgoing-response.headers"] = fn1(resp, func(st *State, r *outgoingResponse) (results, error) {
		return one(st.own(tyFields, r.headers))
	})
	i.funcs["[method]outgoing-response.body"] = fn1(resp, func(st *State, r *outgoingResponse) (results, error) {
		if r.bodyTaken || st.exchange == nil {
			return one(capi.Err(nil))
		}
		r.bodyTaken = true
		ex := st.exchange
		body := &outgoingBody{w: ex, flush: ex.flush, onFinish: func() error { ex.finished = true; return nil }}
		return one(capi.Ok(st.own(tyOutgoingBody, body)))
	})
	i.funcs["[method]outgoing-body.write"] = fn1(borrowed[*outgoingBody], func(st *State, b *outgoingBody) (results, error) {
		if b.streamOut {
			return one(capi.Err(nil))
		}
		b.streamOut = true
		b.stream = &outputStream{w: b.w, flush: b.flush}
		return one(capi.Ok(st.own(tyOutputStream, b.stream)))
	})
	// Trailers are accepted and ignored.
	i.funcs["[static]outgoing-body.finish"] = fn2(owned[*outgoingBody], argOption(owned[*fields]), func(_ *State, b *outgoingBody, _ **fields) (results, error) {
		if err := b.finish(); err != nil {
			return one(capi.Err(internalError(err)))
		}
		return one(capi.Ok(nil))
	})
	i.funcs["[static]response-outparam.set"] = fn2(owned[*responseOutparam], argResult, func(st *State, p *responseOutparam, res capi.Result) (results, error) {
		ex := p.ex
		if ex.set {
			return nil, errors.New("response already set")
		}
		ex.set = true
		if !res.Ok {
			ex.setErr = fmt.Errorf("guest answered error-code %v", res.Val)
			return nil, nil
		}
		resp, err := owned[*outgoingResponse](st, res.Val)
		if err != nil {
			return nil, fmt.Errorf("parameter 1: result ok payload: %w", err)
		}
		resp.headers.toHeader(ex.w.Header())
		ex.w.WriteHeader(resp.status)
		ex.sent = true
		if ex.pending.Len() > 0 {
			_, _ = ex.w.Write(ex.pending.Bytes())
			ex.pending = bytes.Buffer{}
		}
		return nil, nil
	})
	i.funcs["http-error-code"] = ignoreArgs(func(*State) (results, error) {
		return one(capi.None)
	})
	outgoingRequestFuncs(i)
	return i
}

// internalError is the error-code internal-error(some(err)).
func internalError(err error) capi.Val {
	return capi.Variant{Case: "internal-error", Val: capi.Some(capi.String(err.Error()))}
}

// ErrNoResponse is returned by Serve when the guest returned without setting
// a response.
var ErrNoResponse = errors.New("guest returned without setting a response")

// Handler is a component instantiated per request to serve wasi:http.
type Handler struct {
	Engine    *capi.Engine
	Linker    *capi.Linker
	Component *capi.Component
	// Export is the incoming-handler interface the component exports, e.g.
	// "wasi:http/incoming-handler@0.2.3".
	Export string
	// ReleaseAfterResponse: Serve releases the instance in the background
	// once the response is complete (Store.CloseAsync), keeping the reset
	// of its memory out of the response's time; otherwise in line, which
	// costs less CPU where the reset is short.
	ReleaseAfterResponse bool
}

// Serve runs one request in a fresh Store. extraHeaders are added to the
// request the guest sees. It reports whether the response headers were
// already sent when an error occurred (the caller can then only abort).
func (h *Host) Serve(ctx context.Context, hd *Handler, w http.ResponseWriter, r *http.Request, extraHeaders [][2]string) (sent bool, err error) {
	st := h.NewState(ctx)
	ex := &exchange{w: w, r: r}
	st.exchange = ex
	store := hd.Engine.NewStore(st)
	store.LimitMemory(h.cfg.MaxInstanceMemory)
	defer func() {
		if hd.ReleaseAfterResponse {
			// The response is complete once the HTTP handler returns.
			store.CloseAsync(func() { st.closeAllLogged(ctx) })
			return
		}
		store.Close()
		st.closeAll()
	}()
	inst, err := hd.Linker.Instantiate(ctx, store, hd.Component)
	if err != nil {
		return false, err
	}
	handle, err := inst.Func(hd.Export, "handle")
	if err != nil {
		return false, fmt.Errorf("export %s: %w", hd.Export, err)
	}
	headers := fieldsFromHeader(r.Header)
	if r.Host != "" {
		headers.list = append(headers.list, field{name: "host", value: []byte(r.Host)})
	}
	for _, kv := range extraHeaders {
		headers.list = append(headers.list, field{name: kv[0], value: []byte(kv[1])})
	}
	headers.immutable = true
	req := st.own(tyIncomingRequest, &incomingRequest{r: r, headers: headers})
	out := st.own(tyResponseOutparam, &responseOutparam{ex: ex})
	if _, err := handle.Call(0, req, out); err != nil {
		return ex.sent, err
	}
	switch {
	case ex.setErr != nil:
		return false, ex.setErr
	case !ex.set:
		return false, ErrNoResponse
	}
	return true, nil
}

// closeAllLogged is closeAll off the request's goroutine, where no HTTP
// server recovers a panic: it logs one instead.
func (st *State) closeAllLogged(ctx context.Context) {
	defer func() {
		if r := recover(); r != nil {
			log.G(ctx).WithField("panic", r).Error("releasing a request's resources")
		}
	}()
	st.closeAll()
}

// closeAll releases what the table still holds (open response bodies of
// outbound requests, timers).
func (st *State) closeAll() {
	for rep := range st.table.items {
		st.table.remove(rep)
	}
	for _, r := range st.roots {
		r.Close()
	}
}

// IncomingHandlerExport returns the name of the wasi:http/incoming-handler
// interface c exports (any 0.2.x, or the release candidates of Spin 2.0 and
// 2.1), if it exports one with a handle function.
func IncomingHandlerExport(c *capi.Component) (string, bool) {
	for patch := 0; patch <= 20; patch++ {
		name := fmt.Sprintf("wasi:http/incoming-handler@0.2.%d", patch)
		if c.HasExport(name, "handle") {
			return name, true
		}
	}
	for _, version := range []string{rcNov2023, rcOct2023} {
		if name := "wasi:http/incoming-handler" + version; c.HasExport(name, "handle") {
			return name, true
		}
	}
	return "", false
}
