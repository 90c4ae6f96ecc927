package wasip2

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// The echo handler reads the request's method, path, headers and body
// through wasi:http and wasi:io and answers with a status, headers and a
// streamed body.
func TestIncomingHandlerEcho(t *testing.T) {
	f := newFixture(t, "http-echo", Config{})
	for _, tc := range []struct {
		method, target, body string
		echo                 []string
	}{
		{http.MethodPost, "/echo?q=1", "hello body", []string{"a", "b"}},
		{http.MethodGet, "/", "", nil},
		{"PURGE", "/x", strings.Repeat("z", 10000), []string{"only"}},
	} {
		req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
		for _, v := range tc.echo {
			req.Header.Add("X-Test", v)
		}
		resp, err := f.serve(t, req)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.method, tc.target, err)
		}
		body, _ := io.ReadAll(resp.Body)
		wantMethod := strings.ToLower(tc.method)
		if tc.method == "PURGE" {
			wantMethod = "other"
		}
		if resp.StatusCode != http.StatusCreated || string(body) != "echo:"+tc.body ||
			resp.Header.Get("X-Method") != wantMethod || resp.Header.Get("X-Path") != tc.target ||
			!slices.Equal(resp.Header.Values("X-Echo"), tc.echo) {
			t.Errorf("%s %s = %d %v %.40q, want 201, x-method %s, x-path %s, x-echo %v and the body echoed",
				tc.method, tc.target, resp.StatusCode, resp.Header, body, wantMethod, tc.target, tc.echo)
		}
	}
}
