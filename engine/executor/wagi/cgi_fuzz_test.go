package wagi

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/spinoci/spinoci/engine/inbound"
)

// FuzzParseCGI: whatever a WAGI module writes, parsing never panics; a
// parsed response has a valid status, its body is the tail of the output,
// and writing it answers that status or 500 (an invalid header), never
// anything else.
func FuzzParseCGI(f *testing.F) {
	for _, s := range []string{
		"Content-Type: text/plain\n\nhello\n",
		"content-type: text/html\r\nX-Custom: 1\r\n\r\n<p>hi</p>",
		"Status: 404 Not Found\nContent-Type: text/plain\n\n",
		"Location: /elsewhere\n\n",
		"Status: 999\n\n",
		"Status: abc\nContent-Type: a\n\nbody",
		"X-Only: header\n\nbody",
		"no blank line: at all",
		"Content-Type: text/plain\nBad Name: x\nX-Ctl: a\x01b\n\n",
		"\n\nbody only",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		resp, err := parseCGI(out)
		if err != nil {
			if resp != nil {
				t.Fatalf("response with error %v", err)
			}
			return
		}
		if resp == nil {
			t.Fatal("nil response without an error")
		}
		if resp.Status < 100 || resp.Status > 599 {
			t.Fatalf("status %d", resp.Status)
		}
		if !bytes.HasSuffix(out, resp.Body) {
			t.Fatalf("body %q is not the tail of the output", resp.Body)
		}
		rec := httptest.NewRecorder()
		inbound.WriteResponse(context.Background(), rec, "fuzz", resp)
		if rec.Code != resp.Status && rec.Code != http.StatusInternalServerError {
			t.Fatalf("wrote %d for a %d response", rec.Code, resp.Status)
		}
	})
}
