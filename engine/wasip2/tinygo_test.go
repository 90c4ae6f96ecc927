package wasip2

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A handler shaped like TinyGo's (wasm-tools-go bindings) that sets a
// header, a non-200 status and a body gets exactly that response.
func TestTinyGoShapedStatusAndHeader(t *testing.T) {
	f := newFixture(t, "tinygo-status", Config{})
	for range 2 {
		resp, err := f.serve(t, httptest.NewRequest(http.MethodGet, "/", nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Tinygo") != "yes" || string(body) != "bad request" {
			t.Errorf("got %d %v %q, want 400, x-tinygo: yes and body \"bad request\"", resp.StatusCode, resp.Header, body)
		}
	}
}
