package wasip2

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// A handler making a TinyGo net/http handler's calls (wasm-tools-go
// bindings: header set on fields, own<headers> into outgoing-response,
// set-status-code, body, write, outparam set) gets exactly that response,
// through wasi:http@0.2.0 and through Spin 2.1's release candidate
// (0.2.0-rc-2023-11-10, the same shapes for these calls).
func TestTinyGoShapedHandler(t *testing.T) {
	for _, tc := range []struct{ fixture, export string }{
		{"tinygo-status", "wasi:http/incoming-handler@0.2.0"},
		{"tinygo-sdk-2024-05", "wasi:http/incoming-handler@0.2.0"},
		{"tinygo-sdk-current", "wasi:http/incoming-handler@0.2.0"},
		{"rc-2023-11-10", "wasi:http/incoming-handler@0.2.0-rc-2023-11-10"},
	} {
		f := newFixture(t, tc.fixture, Config{})
		if f.hd.Export != tc.export {
			t.Fatalf("%s: export = %q, want %q", tc.fixture, f.hd.Export, tc.export)
		}
		for range 2 {
			resp, err := f.serve(t, httptest.NewRequest(http.MethodGet, "/", nil))
			if err != nil {
				t.Fatalf("%s: %v", tc.fixture, err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Tinygo") != "yes" || string(body) != "bad request" {
				t.Errorf("%s: got %d %v %q, want 400, x-tinygo: yes and body \"bad request\"", tc.fixture, resp.StatusCode, resp.Header, body)
			}
		}
	}
}

// Spin 2.0 components (WASI 0.2.0-rc-2023-10-18) are served through that
// candidate's shapes: fields built from a list, outgoing-response built from
// a status and borrowed headers, write for the body, the one clock subscribe
// and poll-one.
func TestReleaseCandidateOct2023(t *testing.T) {
	f := newFixture(t, "rc-2023-10-18", Config{})
	if f.hd.Export != "wasi:http/incoming-handler@0.2.0-rc-2023-10-18" {
		t.Fatalf("export = %q, want the rc-2023-10-18 incoming handler", f.hd.Export)
	}
	resp, err := f.serve(t, httptest.NewRequest(http.MethodGet, "/spin/2.0?x=1", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTeapot || resp.Header.Get("X-Rc") != "2023-10-18" ||
		!slices.Equal(resp.Header.Values("X-Added"), []string{"yes"}) || string(body) != "rc:/spin/2.0?x=1" {
		t.Errorf("got %d %v %q, want 418, x-rc: 2023-10-18, x-added: yes and body \"rc:/spin/2.0?x=1\"", resp.StatusCode, resp.Header, body)
	}
}

// allowHost is an outbound policy allowing one host:port.
type allowHost string

func (a allowHost) AllowedURL(u *url.URL) bool { return u.Host == string(a) }
func (allowHost) AllowsSelf() bool             { return false }

// Spin 2.0 components send outgoing requests through that candidate's
// shapes: a request built in one constructor from borrowed headers, handle
// without options, and its error variant for denied or failed requests.
func TestReleaseCandidateOct2023Outgoing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/rc" || r.Header.Get("X-Rc") != "fetch" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	authority := strings.TrimPrefix(srv.URL, "http://")
	f := newFixture(t, "rc-2023-10-18-fetch", Config{Outbound: allowHost(authority)})
	for _, tc := range []struct {
		authority string
		want      uint32
	}{
		{authority, http.StatusAccepted},
		{"127.0.0.1:1", 1003}, // denied: unexpected-error
	} {
		out, _, err := f.call(t, "fetch", 1, capi.String(tc.authority))
		if err != nil {
			t.Fatalf("fetch %s: %v", tc.authority, err)
		}
		if got := out[0].(capi.U32); uint32(got) != tc.want {
			t.Errorf("fetch %s = %d, want %d", tc.authority, got, tc.want)
		}
	}
}
