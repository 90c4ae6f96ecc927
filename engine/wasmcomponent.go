package engine

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/engine/capability/mqtt"
	"github.com/spinoci/spinoci/engine/capability/redis"
	"github.com/spinoci/spinoci/engine/coremodule"
	componentexec "github.com/spinoci/spinoci/engine/executor/component"
	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/engine/wasip2"
)

// componentRuntime is what an App's WebAssembly components share: a
// component engine and a linker holding the Go WASI 0.2 host (whose
// functions find their per-component configuration in the Store's state),
// for Cranelift's code, and, when some component has only Winch code
// cached (a first start), a Winch engine and linker for it (winch.go).
// Renewing the instance pool replaces them all (renew.go).
type componentRuntime struct {
	// mu orders the changes below: a component's loading, its tier-up and
	// the pool's renewal. Calls do not take it: they Acquire their code.
	mu sync.Mutex
	// engine is made with the first component.
	engine *capi.Engine
	// linker is engine's, made for the first component of Cranelift code:
	// a first start on Winch code makes none until its tier-up.
	linker *capi.Linker
	winch  *componentBackend
	// release releases the code loaded into the engines (and the linkers
	// made for tier-ups), before the engines close.
	release []func()
	// handlers are the components' code as calls find it.
	handlers []*componentHandler
	// renew is the state of the pool's renewal.
	renew poolRenewal
}

// componentHandler is one component's code, which calls Acquire.
type componentHandler struct {
	id   string
	sum  [sha256.Size]byte
	code *wasip2.HandlerSwap
	codeState
}

// componentBackend is an engine and its linker, holding the WASI 0.2 host.
type componentBackend struct {
	engine *capi.Engine
	linker *capi.Linker
}

// epochTick is how often the engines' epochs advance (the App's
// epochTicker): how late, at most, a guest past its time limit (or whose
// request is gone) is stopped.
const epochTick = 100 * time.Millisecond

// GuestTimeLimitEnv is the container environment variable that bounds how
// long a guest's code (component, Spin 1.x module or WAGI) may run for one
// request (a Go duration;
// time waiting on I/O is not counted; "0" disables the limit).
const GuestTimeLimitEnv = coremodule.GuestTimeLimitEnv

// DefaultGuestTimeLimit applies when GuestTimeLimitEnv is not set.
const DefaultGuestTimeLimit = time.Minute

// newComponentLinker is a linker of e with the WASI 0.2 host defined.
func newComponentLinker(e *capi.Engine) (*capi.Linker, error) {
	l := e.NewLinker()
	if err := wasip2.NewHost(wasip2.Config{}).Define(l); err != nil {
		l.Close()
		return nil, fmt.Errorf("define WASI 0.2 host: %w", err)
	}
	return l, nil
}

// start makes the Cranelift engine, whose epochs advance with epochs',
// unless made. r.mu is held.
func (r *componentRuntime) start(epochs *epochEngines) {
	if r.engine != nil {
		return
	}
	// Every wasmtime error captures a backtrace when this is set, which
	// makes each trap slow (docs/design/components.md).
	os.Unsetenv("RUST_BACKTRACE")
	r.engine = capi.NewEngine()
	epochs.add(r.engine)
}

// cranelift is the backend of Cranelift's code, its linker made on first
// use. r.mu is held.
func (r *componentRuntime) cranelift() (componentBackend, error) {
	if r.linker == nil {
		l, err := newComponentLinker(r.engine)
		if err != nil {
			return componentBackend{}, err
		}
		r.linker = l
	}
	return componentBackend{engine: r.engine, linker: r.linker}, nil
}

// addHandler registers a component's code, of tier, for the pool's
// renewal. r.mu is held.
func (r *componentRuntime) addHandler(id string, sum [sha256.Size]byte, code *wasip2.HandlerSwap, tier capi.Tier, wasm *wasmSource) {
	r.handlers = append(r.handlers, &componentHandler{id: id, sum: sum, code: code, codeState: newCodeState(tier, wasm)})
}

// upgraded records that code now runs the optimised code, loaded by
// tier-up; release releases it. r.mu is held.
func (r *componentRuntime) upgraded(code *wasip2.HandlerSwap, release func()) {
	r.release = append(r.release, release)
	for _, h := range r.handlers {
		if h.code == code {
			h.optimized = true
		}
	}
}

// wait waits until the Stores of finished calls are closed, and the
// engines the pool's renewal replaced.
func (r *componentRuntime) wait() {
	r.renew.retiring.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.engine != nil {
		r.engine.Wait()
	}
	if r.winch != nil {
		r.winch.engine.Wait()
	}
}

func (r *componentRuntime) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.code().close()
	r.engine, r.linker, r.winch, r.release = nil, nil, nil, nil
}

// code is what r's code runs on, closed in this order: the code, the
// linkers, the engines (which wait for the Stores being closed). r.mu is
// held.
func (r *componentRuntime) code() replacedCode {
	c := replacedCode{closers: append([]func(){}, r.release...)}
	var engines []*capi.Engine
	if r.engine != nil {
		engines = append(engines, r.engine)
	}
	if r.linker != nil {
		c.closers = append(c.closers, r.linker.Close)
	}
	if r.winch != nil {
		c.closers = append(c.closers, r.winch.linker.Close)
		engines = append(engines, r.winch.engine)
	}
	for _, e := range engines {
		c.users = append(c.users, e)
		c.epochs = append(c.epochs, e)
		c.closers = append(c.closers, e.Close)
	}
	return c
}

// guestTimeLimit reads GuestTimeLimitEnv from the container environment.
func guestTimeLimit(env []string) (time.Duration, error) {
	for i := len(env) - 1; i >= 0; i-- {
		v, ok := strings.CutPrefix(env[i], GuestTimeLimitEnv+"=")
		if !ok {
			continue
		}
		d, err := time.ParseDuration(v)
		if v == "0" {
			d, err = 0, nil
		}
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%s=%q: want a duration such as 30s (0 for no limit)", GuestTimeLimitEnv, v)
		}
		return d, nil
	}
	return DefaultGuestTimeLimit, nil
}

// largeImageBytes is the size from which a component's or Spin 1.x
// module's instances are released after their response has gone rather
// than before: a large wasm (a JS or Python runtime's snapshot, Go's
// runtime) has a large initial memory, whose reset when an instance ends
// takes ~1 ms, ~10-20 ms the first time a pool slot is used. For a small
// one releasing in line costs less CPU (a 4 KB component ~38 µs per
// request instead of ~51 µs, hello ~10 µs instead of ~21 µs).
const largeImageBytes = 1 << 20

// large reports whether w is of largeImageBytes or more.
func (w *wasmSource) large() bool { return w.size >= largeImageBytes }

// loadWasmComponent prepares a WebAssembly component (wasi:http or
// fermyon:spin/inbound-http).
func (a *App) loadWasmComponent(ctx context.Context, ac appdir.Component, wasm *wasmSource) (Executor, error) {
	limit, err := guestTimeLimit(a.cfg.Env)
	if err != nil {
		return nil, err
	}
	sum, err := wasm.Sum()
	if err != nil {
		return nil, err
	}
	r := a.components
	r.mu.Lock()
	defer r.mu.Unlock()
	rt, comp, tier, cfg, err := a.prepareWasmComponent(ctx, ac, wasm, sum, limit)
	if err != nil {
		return nil, err
	}
	exec, err := componentexec.New(ac.Lock.ID, rt, comp, cfg)
	if err != nil {
		return nil, err
	}
	if wasm.large() {
		exec.ReleaseAfterResponse()
	}
	r.addHandler(ac.Lock.ID, sum, exec.Code(), tier, wasm)
	if tier != capi.Optimized {
		a.watchComponent(ac.Lock.ID, sum, exec.Code(), tier)
	}
	return exec, nil
}

// prepareWasmComponent compiles a component and links the imports the host
// lacks; cfg is what its guests see, with guest time limited to limit.
// a.components.mu is held.
func (a *App) prepareWasmComponent(ctx context.Context, ac appdir.Component, wasm *wasmSource, sum [sha256.Size]byte, limit time.Duration) (componentexec.Runtime, *capi.Component, capi.Tier, wasip2.Config, error) {
	lc := ac.Lock
	a.components.start(&a.epochs)
	caps, err := a.capabilities(ctx, lc)
	if err != nil {
		return componentexec.Runtime{}, nil, 0, wasip2.Config{}, err
	}
	comp, tier, backend, err := a.componentCode(ctx, wasm, sum)
	if err != nil {
		return componentexec.Runtime{}, nil, 0, wasip2.Config{}, err
	}
	a.components.release = append(a.components.release, comp.Close)
	a.runsFast = a.runsFast || tier != capi.Optimized
	var wm []wasip2.Mount
	for _, m := range ac.Mounts {
		wm = append(wm, wasip2.Mount{HostPath: m.HostPath, GuestPath: m.GuestPath})
	}
	rt := componentexec.Runtime{Engine: backend.engine, Linker: backend.linker}
	cfg := wasip2.Config{
		GuestTimeLimit:    a.limits.time,
		MaxInstanceMemory: a.limits.memory,
		Stdout:            a.stdout.Writer(), Stderr: a.stderr.Writer(),
		Env: componentEnv(lc), Mounts: wm,
		Variables:  caps.config,
		KeyValue:   caps.kv,
		SQLite:     caps.sqlite,
		LLM:        caps.llm,
		Postgres:   caps.postgres,
		MySQL:      caps.mysql,
		Outbound:   caps.allowedHosts,
		Redis:      redis.NewAccess(caps.allowedHosts),
		MQTT:       mqtt.NewAccess(caps.allowedHosts),
		Sockets:    caps.allowedHosts,
		HTTPClient: a.client.HTTPClient(),
	}
	// Imports the host does not implement (Spin 3 interfaces, unversioned
	// fermyon:spin ones, …) link as traps, so the component instantiates.
	if err := backend.linker.DefineMissing(comp, unsupportedImport); err != nil {
		return componentexec.Runtime{}, nil, 0, wasip2.Config{}, fmt.Errorf("link the component's unsupported imports: %w", err)
	}
	return rt, comp, tier, cfg, nil
}

// unsupportedImport is the trap of a component import the host lacks.
func unsupportedImport(what string) error {
	return fmt.Errorf("%s is not supported by %s", what, coremodule.RuntimeName)
}
