package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"
	"github.com/spinoci/spinoci/engine/capability/keyvalue"
	"github.com/spinoci/spinoci/engine/capability/network"
	"github.com/spinoci/spinoci/engine/capability/outboundhttp"
	"github.com/spinoci/spinoci/engine/capability/variables"
	"github.com/spinoci/spinoci/lock"
)

// KVFileName is the SQLite file of the "default" key-value store inside
// Config.StateDir, the name Spin uses under its .spin directory.
const KVFileName = keyvalue.SQLiteFileName

// App is a loaded Spin application, ready to serve HTTP. It is safe for
// concurrent use; each request runs in its own wasmtime Store.
type App struct {
	cfg      Config
	base     string // HTTP base path
	info     []byte // /.well-known/spin/info body
	host     *host
	router   router
	compiler *compiler
	// components runs WebAssembly components; nil until the first one.
	components *componentRuntime
	vars       map[string]string // application variables, resolved

	stageMu  sync.Mutex
	stageDir string // staging for single-file mounts, created on demand
}

// host is what every component of an App shares.
type host struct {
	engine         *wasmtime.Engine
	linker         *wasmtime.Linker
	slots          chan struct{} // one per live instance; nil: no limit (see newEngine)
	stdout, stderr *guestStream
	tempDir        string
	kv             *keyvalue.Stores
	client         *outboundhttp.Client
}

// executor handles a routed request for a component.
type executor interface {
	serve(ctx context.Context, c *component, w http.ResponseWriter, req *request)
}

// component is a compiled component with what its executor needs.
type component struct {
	id       string
	module   *wasmtime.Module
	env      [][2]string // sorted by name
	preopens []preopen
	exec     executor
	host     *host

	spinTyped bool // Spin executor: see checkedSignatures

	config       *variables.Config
	kv           *keyvalue.Access
	allowedHosts *network.AllowedHosts // outbound destinations
}

// fail logs err for the component and answers 500.
func (c *component) fail(ctx context.Context, w http.ResponseWriter, err error) {
	log.G(ctx).WithError(err).WithField("component", c.id).Error("request failed")
	w.WriteHeader(http.StatusInternalServerError)
}

// Load compiles the application's HTTP components and builds its router.
// app must be a local lock (see lock.Materialize). Components that no
// routable HTTP trigger uses are ignored.
func Load(ctx context.Context, app *lock.LockedApp, cfg Config) (_ *App, err error) {
	cfg = cfg.withDefaults()
	triggers, err := app.HTTPTriggers()
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	info, err := appInfo(app)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	vars, err := resolveVariables(ctx, app.Variables, cfg.Env)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	engine, slots := newEngine(ctx)
	a := &App{cfg: cfg, info: info, vars: vars, host: &host{
		engine: engine, tempDir: cfg.TempDir,
		kv:     keyvalue.NewStores(cfg.StateDir),
		client: outboundhttp.NewClient(cfg.OutboundTimeout),
	}}
	if slots > 0 {
		a.host.slots = make(chan struct{}, slots)
	}
	a.compiler = newCompiler(engine, cfg.CacheDir)
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.host.linker, err = newLinker(engine); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if a.host.stdout, err = newGuestStream(cfg.Stdout); err != nil {
		return nil, fmt.Errorf("engine: stdout: %w", err)
	}
	if a.host.stderr, err = newGuestStream(cfg.Stderr); err != nil {
		return nil, fmt.Errorf("engine: stderr: %w", err)
	}

	base := app.HTTPBase()
	a.base = base
	components := map[string]*component{} // by trigger component + executor
	for _, t := range triggers {
		if t.Private {
			continue
		}
		key := t.Component + "\x00" + t.Executor.Type + "\x00" + t.Executor.Entrypoint + "\x00" + t.Executor.Argv
		c, ok := components[key]
		if !ok {
			if c, err = a.loadComponent(ctx, app, t); err != nil {
				return nil, fmt.Errorf("engine: component %q: %w", t.Component, err)
			}
			components[key] = c
		}
		a.router.add(ctx, route{pattern: newRoutePattern(base, t.Route), rawRoute: t.Route, handler: c})
	}
	return a, nil
}

func (a *App) loadComponent(ctx context.Context, app *lock.LockedApp, t lock.HTTPTrigger) (*component, error) {
	lc, ok := app.Component(t.Component)
	if !ok {
		return nil, fmt.Errorf("no such component")
	}
	path, err := lc.WasmPath()
	if err != nil {
		return nil, err
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read wasm: %w", err)
	}
	if isComponent(wasm) {
		if t.Executor.Type == lock.ExecutorWagi {
			return nil, errors.New("the WAGI executor needs a core wasm module, not a component")
		}
		c := &component{id: t.Component, host: a.host}
		if err := a.loadWasmComponent(ctx, c, lc, wasm); err != nil {
			return nil, err
		}
		return c, nil
	}
	if err := checkHeader(wasm); err != nil {
		return nil, err
	}
	m, err := a.compiler.module(ctx, wasm)
	if err != nil {
		return nil, err
	}
	c := &component{id: t.Component, module: m, host: a.host}
	switch t.Executor.Type {
	case lock.ExecutorWagi:
		if err := checkWagiExports(m, t.Executor.Entrypoint); err != nil {
			return nil, err
		}
		c.exec = wagiExecutor{entrypoint: t.Executor.Entrypoint, argv: t.Executor.Argv}
	default:
		if err := checkSpinExports(m); err != nil {
			return nil, err
		}
		c.exec = spinExecutor{}
		c.spinTyped = checkedSignatures(m)
	}
	for k, v := range lc.Env {
		c.env = append(c.env, [2]string{k, v})
	}
	sort.Slice(c.env, func(i, j int) bool { return c.env[i][0] < c.env[j][0] })
	mounts, err := lc.Mounts()
	if err != nil {
		return nil, err
	}
	if c.preopens, err = preopens(mounts, a.stage); err != nil {
		return nil, err
	}
	if err := a.loadHostAccess(ctx, c, lc); err != nil {
		return nil, err
	}
	return c, nil
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
	if err := a.host.kv.Close(); err != nil {
		log.L.WithError(err).Warn("closing the key-value store")
	}
	if a.components != nil {
		a.components.close()
		a.components = nil
	}
	if a.compiler != nil {
		a.compiler.close()
	}
	if a.host.linker != nil {
		a.host.linker.Close()
		a.host.linker = nil
	}
	a.host.stdout.close()
	a.host.stderr.close()
	a.host.stdout, a.host.stderr = nil, nil
	if a.host.engine != nil {
		a.host.engine.Close()
		a.host.engine = nil
	}
	a.stageMu.Lock()
	if a.stageDir != "" {
		os.RemoveAll(a.stageDir)
		a.stageDir = ""
	}
	a.stageMu.Unlock()
}

// resolveVariables gives every application variable its value from the
// container environment (see Config.Env) or its default.
func resolveVariables(ctx context.Context, vars map[string]lock.Variable, env []string) (map[string]string, error) {
	declared := make(map[string]variables.Declaration, len(vars))
	for name, v := range vars {
		declared[name] = variables.Declaration{Default: v.Default}
	}
	return variables.Resolve(ctx, declared, variables.NewEnvProvider(env))
}

// loadHostAccess gives c what its host imports need from the lock: its
// resolved config, the key-value stores it may open (opening the App's
// stores on first use) and its outbound allow-list.
func (a *App) loadHostAccess(ctx context.Context, c *component, lc *lock.Component) error {
	var err error
	if c.config, err = variables.ComponentConfig(lc.ID, lc.Config, a.vars); err != nil {
		return err
	}
	labels, err := lc.MetadataStrings("key_value_stores")
	if err != nil {
		return err
	}
	if c.kv, err = a.host.kv.Access(ctx, labels); err != nil {
		return err
	}
	// A Spin 2+ lock carries allowed_outbound_hosts, a Spin 1.x one
	// allowed_http_hosts; entries may use variables.
	if _, v2 := lc.Metadata["allowed_outbound_hosts"]; v2 {
		entries, err := a.hostEntries(lc, "allowed_outbound_hosts")
		if err != nil {
			return err
		}
		c.allowedHosts, err = network.ParseAllowedOutboundHosts(entries)
		return err
	}
	entries, err := a.hostEntries(lc, "allowed_http_hosts")
	if err != nil {
		return err
	}
	c.allowedHosts, err = network.ParseAllowedHTTPHosts(entries)
	return err
}

// hostEntries reads a host list from component metadata, expanding
// "{{ variable }}" templates.
func (a *App) hostEntries(lc *lock.Component, key string) ([]string, error) {
	entries, err := lc.MetadataStrings(key)
	if err != nil {
		return nil, err
	}
	for i, e := range entries {
		if entries[i], err = variables.Expand(e, a.vars); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	return entries, nil
}
