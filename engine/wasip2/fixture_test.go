package wasip2

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/test/testwasm"
)

// fixture is a component compiled from testdata/<name>.wat (component text
// format) and linked with a Host: no build step, no npm.
type fixture struct {
	host *Host
	hd   *Handler
}

func newFixture(t *testing.T, name string, cfg Config) *fixture {
	t.Helper()
	wasm := testwasm.AssembleFile(t, filepath.Join("testdata", name+".wat"))
	e := capi.NewEngine()
	t.Cleanup(e.Close)
	c, err := e.Compile(wasm)
	if err != nil {
		t.Fatalf("%s.wat: %v", name, err)
	}
	t.Cleanup(c.Close)
	h, hd := link(t, e, c, cfg)
	return &fixture{host: h, hd: hd}
}

// link defines a Host for cfg into a new linker for c. The Handler's Export
// is c's incoming-handler interface, if it has one.
func link(t *testing.T, e *capi.Engine, c *capi.Component, cfg Config) (*Host, *Handler) {
	t.Helper()
	l := e.NewLinker()
	t.Cleanup(l.Close)
	h := NewHost(cfg)
	if err := h.Define(l); err != nil {
		t.Fatal(err)
	}
	hd := &Handler{Engine: e, Linker: l, Component: c}
	if export, ok := IncomingHandlerExport(c); ok {
		hd.Export = export
	}
	return h, hd
}

// call instantiates the component in a fresh Store and calls its export
// name. The Store (and so the returned State's table) lives until the test
// ends.
func (f *fixture) call(t *testing.T, name string, nresults int, args ...capi.Val) ([]capi.Val, *State, error) {
	t.Helper()
	in := f.instantiate(t)
	fn, err := in.inst.Func(name)
	if err != nil {
		t.Fatal(err)
	}
	out, err := fn.Call(nresults, args...)
	return out, in.st, err
}

// serve runs one request through the component's incoming handler.
func (f *fixture) serve(t *testing.T, req *http.Request) (*http.Response, error) {
	t.Helper()
	rec := httptest.NewRecorder()
	_, err := f.host.Serve(context.Background(), f.hd, rec, req, nil)
	return rec.Result(), err
}
