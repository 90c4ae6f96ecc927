package inbound

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/internal/httpheader"
)

// Response is a guest's whole HTTP response.
type Response struct {
	Status  int
	Headers [][2]string
	Body    []byte
}

// Fail logs err for the component and answers 500.
func Fail(ctx context.Context, w http.ResponseWriter, component string, err error) {
	LogFailure(ctx, component, err)
	w.WriteHeader(http.StatusInternalServerError)
}

// LogFailure logs err, which failed a request of the component.
func LogFailure(ctx context.Context, component string, err error) {
	log.G(ctx).WithError(err).WithField("component", component).Error("request failed")
}

// CheckResponse reports a status or header of resp that cannot be sent.
func CheckResponse(resp *Response) error {
	if resp.Status < 200 || resp.Status > 599 {
		// 1xx cannot be a final response.
		return fmt.Errorf("invalid response status %d", resp.Status)
	}
	for _, h := range resp.Headers {
		if !httpheader.ValidName(h[0]) || !httpheader.ValidValue(h[1]) {
			return fmt.Errorf("invalid response header %q", h[0])
		}
	}
	return nil
}

// WriteResponse applies the component's response; of duplicate header
// names the last one wins. An invalid status or header fails the request
// (Fail).
func WriteResponse(ctx context.Context, w http.ResponseWriter, component string, resp *Response) {
	if err := CheckResponse(resp); err != nil {
		Fail(ctx, w, component, err)
		return
	}
	// Header.Set's work, with the names validated above canonicalised by
	// httpheader, which knows the common ones (a hello response's
	// headers cost ~0.4 µs through Set).
	hdr := w.Header()
	for _, h := range resp.Headers {
		hdr[httpheader.CanonicalName(h[0])] = []string{h[1]}
	}
	if resp.Status != http.StatusNoContent && resp.Status != http.StatusNotModified {
		hdr["Content-Length"] = []string{strconv.Itoa(len(resp.Body))}
	}
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}
