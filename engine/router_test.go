package engine

import (
	"context"
	"strings"
	"testing"
)

func TestRoutePattern(t *testing.T) {
	for _, tc := range []struct {
		base, route string
		want        routePattern
	}{
		{"/", "/...", routePattern{"", true}},
		{"/", "/foo/...", routePattern{"/foo", true}},
		{"/", "foo", routePattern{"/foo", false}},
		{"/", "/foo/", routePattern{"/foo", false}},
		{"/", "/", routePattern{"", false}},
		{"/base", "/foo/...", routePattern{"/base/foo", true}},
		{"/base/", "/...", routePattern{"/base", true}},
	} {
		if got := newRoutePattern(tc.base, tc.route); got != tc.want {
			t.Errorf("(%q, %q) = %+v, want %+v", tc.base, tc.route, got, tc.want)
		}
	}
}

func TestRouteMatch(t *testing.T) {
	for _, tc := range []struct {
		route string
		path  string
		match bool
	}{
		{"/foo/...", "/foo", true},
		{"/foo/...", "/foo/", true},
		{"/foo/...", "/foo/bar", true},
		{"/foo/...", "/foobar", false},
		{"/foo", "/foo", true},
		{"/foo", "/foo/", true},
		{"/foo", "/foo/bar", false},
		{"/...", "/", true},
		{"/...", "/anything/at/all", true},
		{"/", "/", true},
		{"/", "/x", false},
	} {
		if got := newRoutePattern("/", tc.route).matches(tc.path); got != tc.match {
			t.Errorf("route %q path %q: match %v", tc.route, tc.path, got)
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
		got, ok := rt.match(path)
		if !ok || got.handler.id != want {
			t.Errorf("%s -> %v %v, want %s", path, got.handler, ok, want)
		}
	}
}

func TestRouterDuplicateLaterWins(t *testing.T) {
	logs := &syncBuffer{}
	ctx := logTo(logs)
	var rt router
	rt.add(ctx, route{pattern: newRoutePattern("/", "/a/..."), handler: &component{id: "first"}})
	rt.add(ctx, route{pattern: newRoutePattern("/", "/a/"+"..."), handler: &component{id: "second"}})
	if got, _ := rt.match("/a/b"); got.handler.id != "second" {
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
