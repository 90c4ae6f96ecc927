package engine

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
)

// chainApp is a Spin 2-style app: "host" (spin-host.wasm, /host/...) may
// reach what allowed lists; "echo" (a WAT echo answering 207) has a
// private route; "greet" (the same echo answering 200) is on
// /hello/:name; "other" runs a trigger of type otherType when set.
func chainApp(t *testing.T, allowed []string, otherType string) *lock.LockedApp {
	t.Helper()
	echo := watFile(t, spinWAT(echoHandler(207)))
	greet := watFile(t, spinWAT(echoHandler(200)))
	comp := func(id, wasm string, meta map[string]any) map[string]any {
		return map[string]any{"id": id, "metadata": meta,
			"source": map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(wasm)}}
	}
	trig := func(id, typ, component string, route any) map[string]any {
		return map[string]any{"id": id, "trigger_type": typ,
			"trigger_config": map[string]any{"component": component, "route": route}}
	}
	triggers := []any{
		trig("host", "http", "host", "/host/..."),
		trig("echo", "http", "echo", map[string]any{"private": true}),
		trig("greet", "http", "greet", "/hello/:name"),
	}
	comps := []any{
		comp("host", appPath("spin-host.wasm"), map[string]any{"allowed_outbound_hosts": allowed}),
		comp("echo", echo, nil), comp("greet", greet, nil),
	}
	if otherType != "" {
		triggers = append(triggers, trig("tick", otherType, "other", nil))
		comps = append(comps, comp("other", echo, nil))
	}
	return writeLock(t, map[string]any{
		"spin_lock_version": 1, "metadata": map[string]any{"name": "chain"},
		"triggers": triggers, "components": comps,
	})
}

// TestParamRouteThroughHandler: /hello/:name answers /hello/bob with the
// spin-path-match-name header and Spin 2.5's route headers.
func TestParamRouteThroughHandler(t *testing.T) {
	a := load(t, chainApp(t, nil, ""), Config{CacheDir: moduleCache})
	h := a.Handler()
	for _, path := range []string{"/hello/bob", "/hello/bob/"} {
		w := do(t, h, "GET", path, "")
		expect(t, w, 200, "")
		for name, want := range map[string]string{
			"spin-path-match-name": "bob", "spin-path-info": "", "spin-matched-route": "/hello/:name",
			"spin-component-route": "/hello/:name", "spin-raw-component-route": "/hello/:name",
		} {
			if got := w.Header().Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", path, name, got, want)
			}
		}
	}
	expect(t, do(t, h, "GET", "/hello", ""), 404, "")
	expect(t, do(t, h, "GET", "/hello/bob/x", ""), 404, "")
}

// TestServiceChainingSpin1: a private component answers 404 from outside
// and is reached from a Spin 1.x module through
// http://echo.spin.internal when the caller's allowed hosts permit it.
func TestServiceChainingSpin1(t *testing.T) {
	for _, tc := range []struct {
		name    string
		allowed []string
		ok      bool
	}{
		{"by id", []string{"http://echo.spin.internal"}, true},
		{"wildcard", []string{"http://*.spin.internal"}, true},
		{"other component only", []string{"http://greet.spin.internal"}, false},
		{"none", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := load(t, chainApp(t, tc.allowed, ""), Config{CacheDir: moduleCache})
			h := a.Handler()
			expect(t, do(t, h, "GET", "/", ""), 404, "")
			w := do(t, h, "POST", "/host/outbound", "payload", outboundReq("http://echo.spin.internal/some/path?q=1"))
			if !tc.ok {
				expect(t, w, 502, "error: destination-not-allowed\n")
				return
			}
			body := w.Body.String()
			for _, want := range []string{"status=207\n", "spin-path-info: /some/path\n", "spin-matched-route: /...\n",
				"spin-full-url: http://echo.spin.internal/some/path?q=1\n", "x-test: passed\n", "spin-client-addr: 0.0.0.0:0\n"} {
				if w.Code != 200 || !strings.Contains(body, want) {
					t.Fatalf("chained response lacks %q: %d %q", want, w.Code, body)
				}
			}
			if !strings.HasSuffix(body, "\n\npayload") {
				t.Errorf("chained body: %q", body)
			}
		})
	}
}

// TestServiceChainingUnknownComponent: chaining to a component the app
// does not have fails the guest's request (runtime error), not the app.
func TestServiceChainingUnknownComponent(t *testing.T) {
	a := load(t, chainApp(t, []string{"http://*.spin.internal"}, ""), Config{CacheDir: moduleCache})
	w := do(t, a.Handler(), "GET", "/host/outbound", "", outboundReq("http://nope.spin.internal/"))
	expect(t, w, 502, "error: runtime-error\n")
}

// TestSelfRequestWithoutListener: a relative URL is served in-process, so
// it works before (or without) a listener.
func TestSelfRequestWithoutListener(t *testing.T) {
	a := loadHost(t, hostApp{metadata: map[string]any{"allowed_outbound_hosts": []string{"http://self"}}}, Config{})
	w := do(t, a.Handler(), "GET", "/host/outbound", "", outboundReq("/host/env/GREETING"))
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "status=200\n") || !strings.HasSuffix(w.Body.String(), "\n\nhi from env") {
		t.Fatalf("self request: %d %q", w.Code, w.Body)
	}
}

func TestSelectiveDeployment(t *testing.T) {
	retain := func(v string) Config {
		return Config{CacheDir: moduleCache, Env: []string{"OTHER=1", ComponentsToRetainEnv + "=" + v}}
	}
	// Only greet runs: the cron trigger of "other" is not retained, so it
	// does not stop the start.
	a := load(t, chainApp(t, []string{"http://*.spin.internal"}, "cron"), retain("greet"))
	h := a.Handler()
	expect(t, do(t, h, "GET", "/hello/bob", ""), 200, "")
	expect(t, do(t, h, "GET", "/host/outbound", ""), 404, "")
	if _, ok := a.byID["echo"]; ok {
		t.Error("echo was loaded although not retained")
	}
	// Two components, spaces allowed.
	a = load(t, chainApp(t, []string{"http://echo.spin.internal"}, ""), retain("host, echo"))
	w := do(t, a.Handler(), "GET", "/host/outbound", "", outboundReq("http://echo.spin.internal/x"))
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "status=207\n") {
		t.Fatalf("chained within retained components: %d %q", w.Code, w.Body)
	}
	expect(t, do(t, a.Handler(), "GET", "/hello/bob", ""), 404, "")

	_, err := loadLock(t, context.Background(), chainApp(t, nil, ""), retain("greet,nope,gone"))
	if err == nil || !strings.Contains(err.Error(), `SPIN_COMPONENTS_TO_RETAIN: components to retain not found in the application: "nope", "gone"`) {
		t.Fatalf("unknown retained components: %v", err)
	}
}

// TestSelectiveDeploymentChaining: as Spin, a retained component may not
// chain to one that is not retained, nor to any component (chainingTarget
// leaves entries with variables to run time).
func TestSelectiveDeploymentChaining(t *testing.T) {
	retain := func(v string) Config {
		return Config{CacheDir: moduleCache, Env: []string{ComponentsToRetainEnv + "=" + v}}
	}
	for _, c := range []struct {
		allowed []string
		retain  string
		want    string // "" loads
	}{
		{[]string{"http://echo.spin.internal"}, "host",
			`SPIN_COMPONENTS_TO_RETAIN: retained component "host" chains to component "echo", which is not retained (allowed_outbound_hosts "http://echo.spin.internal"): retain both, or neither`},
		{[]string{"https://example.com", "http://echo.spin.internal:8080"}, "host,greet", `chains to component "echo"`},
		{[]string{"*://*.spin.internal:*"}, "host,echo,greet",
			`SPIN_COMPONENTS_TO_RETAIN: retained component "host" may chain to any component (allowed_outbound_hosts "*://*.spin.internal:*")`},
		{[]string{"http://echo.spin.internal"}, "host,echo", ""},
		{[]string{"http://echo.spin.internal"}, "greet", ""}, // host is not retained
		{[]string{"http://self", "https://example.com"}, "host", ""},
	} {
		_, err := loadLock(t, context.Background(), chainApp(t, c.allowed, ""), retain(c.retain))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v retaining %s: %v", c.allowed, c.retain, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v retaining %s: %v, want an error containing %q", c.allowed, c.retain, err, c.want)
		}
	}
}

func TestChainingTarget(t *testing.T) {
	for entry, want := range map[string]string{
		"http://backend.spin.internal": "backend", "https://Backend.spin.internal:443/": "backend",
		"backend.spin.internal": "backend", "*://*.spin.internal:*": "*", "http://self": "",
		"http://example.com": "", "http://{{ host }}.spin.internal": "", "insecure:allow-all": "",
	} {
		if got := chainingTarget(entry); got != want {
			t.Errorf("chainingTarget(%q) = %q, want %q", entry, got, want)
		}
	}
}

func TestUnsupportedTriggerType(t *testing.T) {
	for _, typ := range []string{"cron", "sqs"} {
		_, err := loadLock(t, context.Background(), chainApp(t, nil, typ), Config{CacheDir: moduleCache})
		want := `trigger type "` + typ + `" is not supported by spinoci (supported trigger types: http, redis, mqtt, command)`
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, lock.ErrUnsupported) {
			t.Errorf("%s: Load error = %v, want %q", typ, err, want)
		}
	}
}

// TestChainedRequestGoesThroughTransport: the App's HTTP client serves
// *.spin.internal in-process (what components' wasi:http uses).
func TestChainedRequestGoesThroughTransport(t *testing.T) {
	a := load(t, chainApp(t, nil, ""), Config{CacheDir: moduleCache})
	req, _ := http.NewRequest("PUT", "http://echo.spin.internal/a/b", strings.NewReader("body"))
	resp, err := a.client.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 207 || resp.Header.Get("spin-path-info") != "/a/b" {
		t.Fatalf("chained via transport: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestServiceChainingComponent: a component's wasi:http outgoing request
// to http://echo.spin.internal reaches the private component in-process
// when allowed, and is denied (HTTP-request-denied) otherwise; a request
// without an authority (POST to the fixture) goes to the app itself when
// http://self is allowed.
func TestServiceChainingComponent(t *testing.T) {
	client := watComponent(t, "chain-client")
	echo := watFile(t, spinWAT(echoHandler(207)))
	for _, tc := range []struct {
		allowed    []string
		chain, own int // statuses of GET (chaining) and POST (self)
	}{
		{[]string{"http://echo.spin.internal"}, 207, 403},
		{[]string{"http://*.spin.internal"}, 207, 403},
		{[]string{"http://self"}, 403, 207},
		{nil, 403, 403},
	} {
		trig := func(id, comp string, route any) map[string]any {
			return map[string]any{"id": id, "trigger_type": "http", "trigger_config": map[string]any{"component": comp, "route": route}}
		}
		app := writeLock(t, map[string]any{
			"spin_lock_version": 1, "metadata": map[string]any{"name": "chain"},
			"triggers": []any{
				trig("client", "client", "/..."),
				trig("echo", "echo", map[string]any{"private": true}),
				trig("echo-public", "echo", "/chained"),
			},
			"components": []any{
				map[string]any{"id": "client", "metadata": map[string]any{"allowed_outbound_hosts": tc.allowed},
					"source": map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(client)}},
				map[string]any{"id": "echo", "source": map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(echo)}},
			},
		})
		a := load(t, app, Config{CacheDir: moduleCache})
		if w := do(t, a.Handler(), "GET", "/", ""); w.Code != tc.chain {
			t.Errorf("allowed %v: chaining status %d, want %d", tc.allowed, w.Code, tc.chain)
		}
		if w := do(t, a.Handler(), "POST", "/", ""); w.Code != tc.own {
			t.Errorf("allowed %v: self request status %d, want %d", tc.allowed, w.Code, tc.own)
		}
	}
}
