package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/engine/capability/keyvalue"
	"github.com/spinoci/spinoci/engine/capability/outboundhttp"
	"github.com/spinoci/spinoci/engine/capability/redis"
	"github.com/spinoci/spinoci/engine/capability/sqlite"
	"github.com/spinoci/spinoci/engine/coremodule"
	"github.com/spinoci/spinoci/engine/executor/spinhttp"
	"github.com/spinoci/spinoci/engine/executor/wagi"
	"github.com/spinoci/spinoci/engine/inbound"
	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/lock"
)

// KVFileName is the SQLite file of the "default" key-value store inside
// Config.StateDir, the name Spin uses under its .spin directory.
const KVFileName = keyvalue.SQLiteFileName

// App is a loaded Spin application, ready to serve HTTP. It is safe for
// concurrent use; each request runs in its own wasmtime Store.
type App struct {
	cfg    Config
	base   string // HTTP base path
	info   []byte // /.well-known/spin/info body
	router router
	// byID are the HTTP components by id, private ones included, for
	// service chaining.
	byID map[string]*component
	vars map[string]string // application variables, resolved

	engine         *wasmtime.Engine
	compiler       *compiler
	core           *coremodule.Host
	stdout, stderr *coremodule.Output
	kv             *keyvalue.Stores
	sqlite         *sqlite.Databases
	sql            *sqlDrivers // outbound Postgres and MySQL
	client         *outboundhttp.Client
	// components runs WebAssembly components.
	components *componentRuntime
	limits     guestLimits
	ticker     *epochTicker
	// tierUp moves components from fast to optimised code.
	tierUp tierUp
	// winch runs the core modules loaded from Winch code (winch.go); nil
	// until one is. Load (triggers included) makes it, in one goroutine.
	winch *winchModules
	// runsFast: some wasm was loaded from code of a fast tier (Cranelift's
	// or Winch's), set by Load: the cache needs an optimising stage.
	runsFast bool
	// epochs are the engines whose epochs the ticker advances.
	epochs epochEngines
	// modulesMu orders the changes to the core modules' engines, Hosts
	// and code (engine, compiler, core, winch and the fields below):
	// loading a module, its tier-up and the pool's renewal.
	modulesMu sync.Mutex
	// modules are the core modules' Components.
	modules []*moduleHandler
	// moduleRelease releases the code tier-up loaded into engine.
	moduleRelease []func()
	moduleRenew   poolRenewal
	// moduleKeep is how much of each freed memory the pool of engine
	// resets in place, fitted to the pages touched by as many sampled
	// instances as fitSamples (memoryreset.go).
	moduleKeep, fitSamples int

	// dir is the app's files, for loading the other triggers' components.
	dir *appdir.App
	// servesHTTP: the app has HTTP triggers.
	servesHTTP bool

	stageMu  sync.Mutex
	stageDir string // staging for single-file mounts, created on demand
}

// Executor serves the routed requests of one component.
type Executor interface {
	// Serve answers req.
	Serve(ctx context.Context, w http.ResponseWriter, req *inbound.Request)
	// StreamsBody reports whether Serve reads the request body itself
	// (from req.HTTP.Body). Otherwise the App reads it first, up to
	// Config.MaxRequestBodySize, into req.Body.
	StreamsBody() bool
}

// component is a loaded component, as routes refer to it.
type component struct {
	id   string
	exec Executor
}

// Load compiles the application's HTTP components and builds its router.
// app is a local app (materialised by appdir.Materialize, or read with
// appdir.Open or appdir.FromLocal): every component's wasm and files are on
// disk. Components that no HTTP trigger uses are ignored; private HTTP
// components are reachable through service chaining only. Config.Env may
// narrow the app to some components (ComponentsToRetainEnv).
func Load(ctx context.Context, app *appdir.App, cfg Config) (_ *App, err error) {
	cfg = cfg.withDefaults()
	lk, err := deployedApp(app.Lock(), cfg.Env)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	triggers, err := lk.HTTPTriggers()
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	info, err := appInfo(lk)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	limits, err := readGuestLimits(cfg.Env)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	engine, slots := newEngine(ctx)
	a := &App{
		cfg: cfg, info: info, engine: engine, moduleKeep: capi.PoolKeepResident, limits: limits,
		dir: app, servesHTTP: len(triggers) > 0,
		kv:         keyvalue.NewStores(cfg.StateDir),
		sqlite:     sqlite.NewDatabases(cfg.StateDir),
		sql:        newSQLDrivers(),
		client:     outboundhttp.NewClient(cfg.OutboundTimeout),
		byID:       map[string]*component{},
		components: &componentRuntime{},
	}
	a.client.SetDispatcher(dispatcher{a})
	a.epochs.add(engine)
	a.compiler = newCompiler(engine, capi.NewCache(cfg.CacheDir))
	a.compiler.cacheOnly = cfg.CacheOnly
	a.compiler.winchEngine = a.winchModuleEngine
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	varProviders, err := a.readRuntimeConfig()
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if a.vars, err = resolveVariables(ctx, lk.Variables, cfg.Env, varProviders...); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if a.stdout, err = coremodule.NewOutput(cfg.Stdout); err != nil {
		return nil, fmt.Errorf("engine: stdout: %w", err)
	}
	if a.stderr, err = coremodule.NewOutput(cfg.Stderr); err != nil {
		return nil, fmt.Errorf("engine: stderr: %w", err)
	}
	a.core, err = coremodule.NewHost(a.coreHostConfig(engine, slots))
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}

	base := lk.HTTPBase()
	a.base = base
	components := map[string]*component{} // by trigger component + executor
	for _, t := range triggers {
		key := t.Component + "\x00" + t.Executor.Type + "\x00" + t.Executor.Entrypoint + "\x00" + t.Executor.Argv
		c, ok := components[key]
		if !ok {
			if c, err = a.loadComponent(ctx, app, t); err != nil {
				return nil, fmt.Errorf("engine: component %q: %w", t.Component, err)
			}
			components[key] = c
		}
		if _, ok := a.byID[t.Component]; !ok {
			a.byID[t.Component] = c
		}
		if !t.Private {
			a.router.add(ctx, route{pattern: newRoutePattern(base, t.Route), rawRoute: t.Route, handler: c})
		}
	}
	a.components.renew.ctx = context.WithoutCancel(ctx)
	a.moduleRenew.ctx = a.components.renew.ctx
	a.ticker = startEpochTicker(a.advanceEpochs)
	a.startTierUp(ctx)
	return a, nil
}

func (a *App) loadComponent(ctx context.Context, app *appdir.App, t lock.HTTPTrigger) (*component, error) {
	ac, ok := app.Component(t.Component)
	if !ok {
		return nil, fmt.Errorf("no such component")
	}
	wasm, err := openWasm(ac)
	if err != nil {
		return nil, err
	}
	var exec Executor
	if wasm.isComponent() {
		if t.Executor.Type == lock.ExecutorWagi {
			return nil, errors.New("the WAGI executor needs a core wasm module, not a component")
		}
		exec, err = a.loadWasmComponent(ctx, ac, wasm)
	} else {
		exec, err = a.loadCoreModule(ctx, ac, t.Executor, wasm)
	}
	if err != nil {
		return nil, err
	}
	return &component{id: t.Component, exec: exec}, nil
}

// loadCoreModule compiles a core module for the Spin or the WAGI executor.
func (a *App) loadCoreModule(ctx context.Context, ac appdir.Component, ex lock.Executor, wasm *wasmSource) (Executor, error) {
	var exec Executor
	err := a.loadCore(ctx, ac, wasm, func(host *coremodule.Host, c *coremodule.Component) (err error) {
		switch ex.Type {
		case lock.ExecutorWagi:
			exec, err = wagi.New(host, c, wagi.Config{Entrypoint: ex.Entrypoint, Argv: ex.Argv, MaxOutput: a.limits.wagiMaxOutput})
		default:
			spin, err := spinhttp.New(host, c)
			if err != nil {
				return err
			}
			if wasm.large() {
				spin.ReleaseAfterResponse()
			}
			exec = spin
		}
		return err
	})
	return exec, err
}

// loadCore compiles a core module, lets newExec build its executor on the
// Host of the module's code (which
// checks the module's exports before the lock's data for it is read and
// its key-value stores opened), then fills in the component's environment,
// files and capabilities.
func (a *App) loadCore(ctx context.Context, ac appdir.Component, wasm *wasmSource, newExec func(*coremodule.Host, *coremodule.Component) error) error {
	a.modulesMu.Lock()
	defer a.modulesMu.Unlock()
	lc := ac.Lock
	if err := checkHeader(wasm.header); err != nil {
		return err
	}
	sum, err := wasm.Sum()
	if err != nil {
		return err
	}
	m, tier, err := a.compiler.module(ctx, wasm, sum)
	if err != nil {
		return err
	}
	a.runsFast = a.runsFast || tier != capi.Optimized
	c := &coremodule.Component{ID: lc.ID, Module: m}
	host := a.coreHost(tier)
	if err := newExec(host, c); err != nil {
		return err
	}
	a.addModule(c, sum, host, tier, wasm)
	switch tier {
	case capi.Fast:
		a.watchModule(sum, c)
	case capi.Winch:
		if err := a.watchWinchModule(host, sum, c); err != nil {
			return err
		}
	}
	c.Env = componentEnv(lc)
	if c.Preopens, err = coremodule.Preopens(ac.Mounts, a.stage); err != nil {
		return err
	}
	caps, err := a.capabilities(ctx, lc)
	if err != nil {
		return err
	}
	c.Config, c.KeyValue, c.AllowedHosts = caps.config, caps.kv, caps.allowedHosts
	c.SQLite, c.LLM = caps.sqlite, caps.llm
	c.Redis = redis.NewAccess(caps.allowedHosts)
	c.Postgres, c.MySQL = caps.postgres, caps.mysql
	return nil
}

// advanceEpochs advances the epoch of the App's engines (see epochTicker)
// and renews their pools when idle.
func (a *App) advanceEpochs() {
	a.epochs.advance()
	a.renewIdleComponents()
	a.renewIdleModules()
	a.fitModulesReset()
}

// componentEnv is the component's environment, sorted by name.
func componentEnv(lc *lock.Component) [][2]string {
	env := make([][2]string, 0, len(lc.Env))
	for k, v := range lc.Env {
		env = append(env, [2]string{k, v})
	}
	slices.SortFunc(env, func(x, y [2]string) int { return strings.Compare(x[0], y[0]) })
	return env
}

// stage returns the App's staging directory for single-file mounts.
func (a *App) stage() (string, error) {
	a.stageMu.Lock()
	defer a.stageMu.Unlock()
	if a.stageDir == "" {
		dir, err := os.MkdirTemp(a.cfg.TempDir, "spinoci-mounts-")
		if err != nil {
			return "", fmt.Errorf("staging dir: %w", err)
		}
		a.stageDir = dir
	}
	return a.stageDir, nil
}

// Close releases the App's compiled code and staging files and flushes
// guest output. Call it after Serve has returned.
func (a *App) Close() {
	// First, so that no pool renewal starts (renew.go).
	a.ticker.close()
	a.ticker = nil
	// Requests' Stores may still be closing (Store.CloseAsync), their
	// resources holding on to what is closed below.
	a.components.wait()
	a.moduleRenew.retiring.Wait()
	if a.core != nil {
		a.core.Wait()
	}
	if a.winch != nil {
		a.winch.host.Wait()
	}
	a.tierUp.close()
	if err := a.kv.Close(); err != nil {
		log.L.WithError(err).Warn("closing the key-value store")
	}
	if err := a.sqlite.Close(); err != nil {
		log.L.WithError(err).Warn("closing the SQLite databases")
	}
	a.sql.close()
	a.components.close()
	for _, release := range a.moduleRelease {
		release()
	}
	a.moduleRelease = nil
	if a.compiler != nil {
		a.compiler.close()
	}
	if a.core != nil {
		a.core.Close()
		a.core = nil
	}
	a.winch.close()
	a.winch = nil
	a.stdout.Close()
	a.stderr.Close()
	a.stdout, a.stderr = nil, nil
	if a.engine != nil {
		a.engine.Close()
		a.engine = nil
	}
	a.stageMu.Lock()
	if a.stageDir != "" {
		os.RemoveAll(a.stageDir)
		a.stageDir = ""
	}
	a.stageMu.Unlock()
}
