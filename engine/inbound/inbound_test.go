package inbound

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestRequestHelpers(t *testing.T) {
	r := httptest.NewRequest("GET", "https://fermyon.dev/base/foo/bar?x=1", nil)
	r.RemoteAddr = "127.0.0.1:8777"
	r.Header.Set("X-B", "b")
	req := FromHTTP(r, Route{Path: "/base/foo", Matched: "/base/foo/...", Raw: "/foo/..."}, "/base", "/base/foo/bar")
	if req.URI() != "/base/foo/bar?x=1" || req.PathInfo() != "/bar" {
		t.Errorf("URI %q, PathInfo %q", req.URI(), req.PathInfo())
	}
	want := [][2]string{
		{"host", "fermyon.dev"}, {"x-b", "b"},
		{"spin-full-url", "https://fermyon.dev/base/foo/bar?x=1"}, {"spin-path-info", "/bar"},
		{"spin-matched-route", "/base/foo/..."}, {"spin-base-path", "/base"},
		{"spin-raw-component-route", "/foo/..."}, {"spin-component-route", "/foo"},
		{"spin-client-addr", "127.0.0.1:8777"},
	}
	if got := req.Headers(); !reflect.DeepEqual(got, want) {
		t.Errorf("Headers = %q\nwant %q", got, want)
	}
}

func TestSpinMethods(t *testing.T) {
	for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"} {
		n, ok := SpinMethod(m)
		if back, ok2 := SpinMethodName(n); !ok || !ok2 || back != m {
			t.Errorf("%s -> %d -> %q", m, n, back)
		}
	}
	if _, ok := SpinMethod("TRACE"); ok {
		t.Error("TRACE is in Spin's method enum")
	}
	if _, ok := SpinMethodName(7); ok {
		t.Error("7 is in Spin's method enum")
	}
}

func TestWriteResponse(t *testing.T) {
	for _, tc := range []struct {
		name          string
		resp          Response
		status        int
		header, value string
	}{
		{"last header wins", Response{Status: 201, Headers: [][2]string{{"X-A", "1"}, {"x-a", "2"}}, Body: []byte("ab")}, 201, "X-A", "2"},
		{"content length", Response{Status: 200, Body: []byte("abc")}, 200, "Content-Length", "3"},
		{"no content length for 204", Response{Status: 204}, 204, "Content-Length", ""},
		{"1xx", Response{Status: 101}, 500, "", ""},
		{"over 599", Response{Status: 600}, 500, "", ""},
		{"bad header", Response{Status: 200, Headers: [][2]string{{"bad name", "x"}}}, 500, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteResponse(context.Background(), w, "c", &tc.resp)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			if tc.header != "" && w.Header().Get(tc.header) != tc.value {
				t.Errorf("%s = %q, want %q", tc.header, w.Header().Get(tc.header), tc.value)
			}
			if tc.status == http.StatusInternalServerError && w.Body.Len() != 0 {
				t.Errorf("failed response has a body: %q", w.Body)
			}
		})
	}
}

// TestParamRouteHeaders: for a route with ":name" segments the headers are
// Spin 2.5+'s (its test vector with route /foo/:userid/...): path-info is
// the trailing wildcard's match and a spin-path-match-<name> per segment.
func TestParamRouteHeaders(t *testing.T) {
	rt := Route{Path: "/foo/:userid", Matched: "/foo/:userid/...", Raw: "/foo/:userid/...", Params: [][2]string{{"userid", "42"}}}
	r := httptest.NewRequest("POST", "https://fermyon.dev/foo/42/bar?key1=value1", nil)
	r.RemoteAddr = "127.0.0.1:8777"
	req := FromHTTP(r, rt, "/", "/foo/42/bar")
	got := map[string]string{}
	env := map[string]string{}
	for _, h := range req.SpinHeaders() {
		got[h.Header], env[h.Env] = h.Value, h.Value
	}
	want := map[string]string{
		"spin-full-url": "https://fermyon.dev/foo/42/bar?key1=value1", "spin-path-info": "/bar",
		"spin-matched-route": "/foo/:userid/...", "spin-base-path": "/",
		"spin-raw-component-route": "/foo/:userid/...", "spin-component-route": "/foo/:userid",
		"spin-client-addr": "127.0.0.1:8777", "spin-path-match-userid": "42",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("headers %v\nwant %v", got, want)
	}
	if env["X_PATH_MATCH_USERID"] != "42" {
		t.Errorf("WAGI env %v", env)
	}
	for path, info := range map[string]string{"/foo/42": "", "/foo/42/": "/", "/foo/42/bar/": "/bar/", "/foo/42/a/b": "/a/b"} {
		req.Path = path
		if got := req.PathInfo(); got != info {
			t.Errorf("PathInfo(%s) = %q, want %q", path, got, info)
		}
	}
	req.Route = Route{Path: "/hello/:name", Matched: "/hello/:name", Raw: "/hello/:name", Params: [][2]string{{"name", "bob"}}}
	req.Path = "/hello/bob/"
	if got := req.PathInfo(); got != "" {
		t.Errorf("exact route PathInfo = %q, want empty", got)
	}
}
