package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/test/testio"
)

func TestRoutePattern(t *testing.T) {
	for _, tc := range []struct {
		base, route string
		path        string
		wildcard    bool
		matched     string
	}{
		{"/", "/...", "", true, "/..."},
		{"/", "/foo/...", "/foo", true, "/foo/..."},
		{"/", "foo", "/foo", false, "/foo"},
		{"/", "/foo/", "/foo", false, "/foo"},
		{"/", "/", "", false, ""},
		{"/base", "/foo/...", "/base/foo", true, "/base/foo/..."},
		{"/base/", "/...", "/base", true, "/base/..."},
		{"/", "/users/:id/...", "/users/:id", true, "/users/:id/..."},
	} {
		got := newRoutePattern(tc.base, tc.route)
		if got.path != tc.path || got.wildcard != tc.wildcard || got.String() != tc.matched {
			t.Errorf("(%q, %q) = %+v (%s), want %q wildcard %v", tc.base, tc.route, got, got, tc.path, tc.wildcard)
		}
	}
}

func TestRouteMatch(t *testing.T) {
	for _, tc := range []struct {
		route  string
		path   string
		match  bool
		params string
	}{
		{"/foo/...", "/foo", true, ""},
		{"/foo/...", "/foo/", true, ""},
		{"/foo/...", "/foo/bar", true, ""},
		{"/foo/...", "/foobar", false, ""},
		{"/foo", "/foo", true, ""},
		{"/foo", "/foo/", true, ""},
		{"/foo", "/foo/bar", false, ""},
		{"/foo", "/foo//", false, ""},
		{"/...", "/", true, ""},
		{"/...", "/anything/at/all", true, ""},
		{"/", "/", true, ""},
		{"/", "/x", false, ""},
		{"/hello/:name", "/hello/bob", true, "name=bob"},
		{"/hello/:name", "/hello/bob/", true, "name=bob"},
		{"/hello/:name", "/hello", false, ""},
		{"/hello/:name", "/hello/", false, ""},
		{"/hello/:name", "/hello/bob/x", false, ""},
		{"/users/:id/edit", "/users/1/edit", true, "id=1"},
		{"/users/:id/edit", "/users/1", false, ""},
		{"/users/:id/edit", "/users/1/edit/cart", false, ""},
		{"/1/:two/...", "/1/2/3/4", true, "two=2"},
		{"/1/:two/...", "/1/2", true, "two=2"},
		{"/:a/:b", "/x/y", true, "a=x,b=y"},
	} {
		params, ok := newRoutePattern("/", tc.route).match(tc.path)
		var got []string
		for _, p := range params {
			got = append(got, p[0]+"="+p[1])
		}
		if ok != tc.match || strings.Join(got, ",") != tc.params {
			t.Errorf("route %q path %q: match %v %v, want %v %q", tc.route, tc.path, ok, got, tc.match, tc.params)
		}
	}
}

func TestRouterPrecedence(t *testing.T) {
	var rt router
	ctx := context.Background()
	for _, r := range []string{"/...", "/foo/...", "/foo/bar/...", "/foo/bar/baz", "/foo/bar"} {
		rt.add(ctx, route{pattern: newRoutePattern("/", r), rawRoute: r, handler: &component{id: r}})
	}
	for path, want := range map[string]string{
		"/":                "/...",
		"/other":           "/...",
		"/foo":             "/foo/...",
		"/foo/x":           "/foo/...",
		"/foo/bar":         "/foo/bar", // exact beats wildcard
		"/foo/bar/":        "/foo/bar",
		"/foo/bar/x":       "/foo/bar/...", // longest prefix
		"/foo/bar/baz":     "/foo/bar/baz",
		"/foo/bar/baz/qux": "/foo/bar/...",
	} {
		got, _, ok := rt.match(path)
		if !ok || got.handler.id != want {
			t.Errorf("%s -> %v %v, want %s", path, got.handler, ok, want)
		}
	}
}

// TestRouterParamPrecedence: at the first segment where routes differ a
// literal beats a parameter, which beats a trailing wildcard; an exact
// route beats a wildcard of the same segments (Spin 2.5+'s ranking).
func TestRouterParamPrecedence(t *testing.T) {
	var rt router
	ctx := context.Background()
	for _, r := range []string{"/...", "/users/...", "/users/:id", "/users/admin", "/users/:id/...",
		"/users/:id/edit", "/users/admin/...", "/:any/edit"} {
		rt.add(ctx, route{pattern: newRoutePattern("/", r), rawRoute: r, handler: &component{id: r}})
	}
	for _, tc := range []struct{ path, want, params string }{
		{"/users", "/users/...", ""},
		{"/users/1", "/users/:id", "id=1"},
		{"/users/admin", "/users/admin", ""},
		{"/users/1/edit", "/users/:id/edit", "id=1"},
		{"/users/1/other", "/users/:id/...", "id=1"},
		{"/users/admin/edit", "/users/admin/...", ""},
		{"/posts/edit", "/:any/edit", "any=posts"},
		{"/posts/x", "/...", ""},
	} {
		got, params, ok := rt.match(tc.path)
		var ps []string
		for _, p := range params {
			ps = append(ps, p[0]+"="+p[1])
		}
		if !ok || got.handler.id != tc.want || strings.Join(ps, ",") != tc.params {
			t.Errorf("%s -> %v %v %v, want %s %s", tc.path, got.handler, ps, ok, tc.want, tc.params)
		}
	}
}

func TestRouterDuplicateLaterWins(t *testing.T) {
	logs := &testio.Buffer{}
	ctx := logTo(logs)
	var rt router
	rt.add(ctx, route{pattern: newRoutePattern("/", "/a/..."), handler: &component{id: "first"}})
	rt.add(ctx, route{pattern: newRoutePattern("/", "/a/"+"..."), handler: &component{id: "second"}})
	if got, _, _ := rt.match("/a/b"); got.handler.id != "second" {
		t.Fatalf("got %s", got.handler.id)
	}
	if len(rt.routes) != 1 || !strings.Contains(logs.String(), "duplicate route") {
		t.Fatalf("routes %d, logs %s", len(rt.routes), logs)
	}
}

// TestRoutingEndToEnd routes through Load and Handler: two components, an
// exact route, a private route and a 404.
func TestRoutingEndToEnd(t *testing.T) {
	echo := watFile(t, spinWAT(echoHandler(200)))
	app := newLock(t, map[string]any{"name": "routes", "version": "1.2.3"},
		[]testComponent{{id: "hello", wasm: appPath("hello.wasm")}, {id: "echo", wasm: echo}},
		[]testTrigger{
			{component: "hello", route: "/hello/..."},
			{component: "echo", route: "/hello/echo"},
		})
	// A private route (v2 `route = { private = true }`) is not routed.
	app.Triggers = append(app.Triggers, app.Triggers[0])
	app.Triggers[2].ID = "private"
	app.Triggers[2].TriggerConfig = []byte(`{"component":"echo","route":{"private":true}}`)
	a := load(t, app, Config{})
	h := a.Handler()

	expect(t, do(t, h, "GET", "/hello/x", ""), 200, "hello from spinoci\n")
	w := do(t, h, "POST", "/hello/echo", "echoed")
	expect(t, w, 200, "echoed")
	if got := w.Header().Get("spin-component-route"); got != "/hello/echo" {
		t.Errorf("spin-component-route %q", got)
	}
	expect(t, do(t, h, "GET", "/nothing", ""), 404, "")
	expect(t, do(t, h, "GET", "/", ""), 404, "")

	expect(t, do(t, h, "GET", "/.well-known/spin/health", ""), 200, "OK")
	w = do(t, h, "GET", "/.well-known/spin/info", "")
	expect(t, w, 200, "{\n  \"name\": \"routes\",\n  \"version\": \"1.2.3\"\n}")
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("info content-type %q", ct)
	}
	expect(t, do(t, h, "GET", "/.well-known/spin/other", ""), 404, "")
}
