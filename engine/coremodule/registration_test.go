package coremodule

import (
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/test/testwasm"
)

// newEpochHost returns a Host on an engine of its own with epoch
// interruption on, as the App's are; both are closed when t ends.
func newEpochHost(t *testing.T) (*Host, *wasmtime.Engine) {
	t.Helper()
	cfg := wasmtime.NewConfig()
	cfg.SetEpochInterruption(true)
	engine := wasmtime.NewEngineWithConfig(cfg)
	h, err := NewHost(Config{Engine: engine})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.Close()
		engine.Close()
	})
	return h, engine
}

// TestStoresShareRegistrations: a request's Store shares a registration
// that the next request reuses once it is closed; Stores open at once have
// registrations of their own, of which a Host keeps maxFreeRegistrations;
// each Store's data, as host functions look it up, is its own request's
// state; a closed Host keeps no registration.
func TestStoresShareRegistrations(t *testing.T) {
	h, engine := newEpochHost(t)
	c := &Component{ID: "c", Module: testwasm.Module(t, engine, `(module (func (export "f")))`)}
	newStore := func() *Store {
		t.Helper()
		s, err := h.NewStore(t.Context(), c, StoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Instantiate(s, c); err != nil {
			t.Fatal(err)
		}
		if st, ok := s.Data().(*instanceState); !ok || st != &s.reg.state || st.comp != c {
			t.Fatalf("a Store's data is %v, want its registration's state for component %q", s.Data(), c.ID)
		}
		return s
	}

	first := newStore()
	reg := first.reg
	first.Close()
	first.Close() // again: nothing
	if n := h.registrations.freeCount(); n != 1 {
		t.Fatalf("%d free registrations after a request, want 1", n)
	}
	if reg.state.comp != nil {
		t.Error("a registration given back keeps the request's state")
	}
	second, third := newStore(), newStore()
	if second.reg != reg {
		t.Error("the next request did not reuse the free registration")
	}
	if third.reg == second.reg {
		t.Error("two Stores open at once share a registration")
	}
	second.Close()
	third.Close()
	if n := h.registrations.freeCount(); n != 2 {
		t.Errorf("%d free registrations after two requests at once, want 2", n)
	}

	var burst []*Store
	for range maxFreeRegistrations + 3 {
		burst = append(burst, newStore())
	}
	for _, s := range burst {
		s.Close()
	}
	if n := h.registrations.freeCount(); n != maxFreeRegistrations {
		t.Errorf("%d free registrations after %d requests at once, want the bound, %d", n, len(burst), maxFreeRegistrations)
	}

	open := newStore()
	h.Close()
	if n := h.registrations.freeCount(); n != 0 {
		t.Errorf("%d free registrations after the Host closed, want 0", n)
	}
	open.Close()
	if n := h.registrations.freeCount(); n != 0 {
		t.Errorf("a Store closed after its Host gave its registration back (%d free)", n)
	}
}

// freeCount is how many registrations are free.
func (rs *storeRegistrations) freeCount() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.free)
}
