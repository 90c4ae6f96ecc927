package wagi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/inbound"
)

// holdBytes is how much output is held before the response is committed.
// Output that ends within it (the common case) is answered as a whole:
// a guest that fails after writing it still gets a 500, and the response
// has a Content-Length. Longer output is streamed from there on; its CGI
// headers must end within the first holdBytes.
const holdBytes = 64 << 10

// MaxOutputEnv names the container environment variable that bounds WAGI
// output, for messages.
const MaxOutputEnv = "SPINOCI_MAX_WAGI_OUTPUT"

// respond answers with the CGI response read from out, the guest's stdout;
// done delivers the guest's result once its Store is closed. Output past
// Config.MaxOutput is cut: the response is aborted (the client sees it
// incomplete) and the event logged; so is a guest failing once the
// response is committed.
func (e *Executor) respond(ctx context.Context, w http.ResponseWriter, out io.Reader, done <-chan error) {
	limit := e.cfg.MaxOutput
	if limit <= 0 {
		limit = 1<<63 - 2
	}
	lr := &io.LimitedReader{R: out, N: limit + 1}
	held := make([]byte, holdBytes)
	n, rerr := io.ReadFull(lr, held)
	held = held[:n]
	if int64(n) > limit {
		e.cut(ctx)
		inbound.Fail(ctx, w, e.comp.ID, fmt.Errorf("WAGI output over the limit of %d bytes (%s)", limit, MaxOutputEnv))
		return
	}
	if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
		// All of the output: answer as a whole once the guest is done.
		if err := <-done; err != nil {
			inbound.Fail(ctx, w, e.comp.ID, err)
			return
		}
		resp, err := parseCGI(held)
		if err != nil {
			inbound.Fail(ctx, w, e.comp.ID, err)
			return
		}
		inbound.WriteResponse(ctx, w, e.comp.ID, resp)
		return
	}
	if rerr != nil {
		inbound.Fail(ctx, w, e.comp.ID, fmt.Errorf("WAGI stdout: %w", rerr))
		return
	}
	head, rest, ok := splitCGIHead(held)
	if !ok {
		inbound.Fail(ctx, w, e.comp.ID, fmt.Errorf("WAGI response headers do not end within the first %d bytes of output", holdBytes))
		return
	}
	resp, err := parseCGI(head)
	if err != nil {
		inbound.Fail(ctx, w, e.comp.ID, err)
		return
	}
	if !writeHead(ctx, w, e.comp.ID, resp) {
		return
	}
	if _, err := w.Write(rest); err != nil {
		return // the client is gone: Serve stops the guest
	}
	if _, err := io.Copy(w, lr); err != nil {
		return
	}
	if lr.N <= 0 {
		e.cut(ctx)
		panic(http.ErrAbortHandler)
	}
	if err := <-done; err != nil {
		log.G(ctx).WithError(err).WithField("component", e.comp.ID).Error("request failed after its response was sent: response cut")
		panic(http.ErrAbortHandler)
	}
}

// cut logs that a response was cut at the output limit.
func (e *Executor) cut(ctx context.Context) {
	log.G(ctx).WithField("component", e.comp.ID).
		Warnf("WAGI output over the limit of %d bytes (%s): response cut, guest stopped", e.cfg.MaxOutput, MaxOutputEnv)
}

// splitCGIHead splits held output at the end of its CGI header block (the
// first blank line, LF or CRLF): head includes that blank line.
func splitCGIHead(held []byte) (head, rest []byte, ok bool) {
	start := 0
	for {
		i := bytes.IndexByte(held[start:], '\n')
		if i < 0 {
			return nil, nil, false
		}
		end := start + i
		if line := held[start:end]; len(line) == 0 || string(line) == "\r" {
			return held[:end+1], held[end+1:], true
		}
		start = end + 1
	}
}

// writeHead writes a streamed response's status and headers (no
// Content-Length); an invalid one fails the request as
// inbound.WriteResponse does.
func writeHead(ctx context.Context, w http.ResponseWriter, component string, resp *inbound.Response) bool {
	if err := inbound.CheckResponse(resp); err != nil {
		inbound.Fail(ctx, w, component, err)
		return false
	}
	for _, h := range resp.Headers {
		w.Header().Set(h[0], h[1])
	}
	w.WriteHeader(resp.Status)
	return true
}
