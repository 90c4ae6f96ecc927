package cli

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/artifact/manifest"
	"github.com/spinoci/spinoci/cmd/internal/frontenv"
	"github.com/spinoci/spinoci/cmd/spinoci/internal/registry"
	"github.com/spinoci/spinoci/engine"
	"github.com/spinoci/spinoci/engine/trigger/runner"
	"github.com/spinoci/spinoci/lock"
)

// listenAddrEnv is the address the shim listens on; run honours it too
// when --listen is not given.
const (
	listenAddrEnv     = "SPIN_HTTP_LISTEN_ADDR"
	defaultListenAddr = "127.0.0.1:3000"
	variableEnvPrefix = "SPIN_VARIABLE_"
)

type runFlags struct {
	listen    string
	env       []string
	variables []string
	// runtimeConfig is Spin's runtime config file (--runtime-config-file).
	runtimeConfig string
	registry      registryFlags
}

func newRunCmd(e *env) *cobra.Command {
	var f runFlags
	var cmd *cobra.Command
	cmd = &cobra.Command{
		Use:   "run REF|DIR [--listen ADDR] [--env K=V] [--variable K=V] [--runtime-config-file FILE]",
		Short: "Run a Spin application locally",
		Long: `Run runs a Spin application with the engine of containerd-shim-spinoci-v1,
without containerd, as the shim's app process does: its HTTP triggers on
--listen, its Redis and MQTT triggers until stopped, and its command
triggers once (run then exits with their status). An app without HTTP
triggers listens nowhere.

The app is REF (pulled first, as by ` + "`spinoci pull`" + `) or a local DIR: a directory
with a spin.toml (or the manifest file itself), or an app directory with a
spin.lock such as ` + "`spinoci pull`" + ` writes. An argument written as a path, or
that exists on disk, is a DIR; anything else must be a fully qualified REF.

--listen defaults to $` + listenAddrEnv + `, else ` + defaultListenAddr + `.
--env sets an environment variable of every component; --variable sets an
application variable (as SPIN_VARIABLE_<NAME> does). --runtime-config-file
is Spin's runtime config (key_value_store, sqlite_database,
variables_provider and llm_compute sections), as the shim reads it from
/runtime-config.toml in the container. The limits of README's Limits table
(SPINOCI_GUEST_TIME_LIMIT, SPINOCI_MAX_REQUEST_BODY_SIZE, SPINOCI_READ_TIMEOUT,
SPINOCI_POOL_RENEW_IDLE…) are read from run's environment, as the app
process reads them from the container's. Ctrl-C (SIGINT) or
SIGTERM stops the server after in-flight requests finish.`,
		Example: `  spinoci run .                                   # the spin.toml in the current directory
  spinoci run localhost:5000/hello:v1 --plain-http --listen 127.0.0.1:8080
  spinoci run ./hello --env RUST_LOG=debug --variable api_key=secret`,
		Args: cobra.ExactArgs(1),
		RunE: runE(func(ctx context.Context, args []string) error {
			if !cmd.Flags().Changed("listen") {
				if v := os.Getenv(listenAddrEnv); v != "" {
					f.listen = v
				}
			}
			return e.run(ctx, args[0], f)
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", defaultListenAddr, "address to serve HTTP on")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "environment variable KEY=VALUE for every component (repeatable)")
	fl.StringArrayVar(&f.variables, "variable", nil, "application variable NAME=VALUE (repeatable)")
	fl.StringVar(&f.runtimeConfig, "runtime-config-file", "", "Spin runtime config file (TOML)")
	f.registry.add(cmd)
	return cmd
}

func (e *env) run(ctx context.Context, target string, f runFlags) error {
	envVars, err := keyValues("env", f.env)
	if err != nil {
		return err
	}
	vars, err := keyValues("variable", f.variables)
	if err != nil {
		return err
	}
	// The HTTP front's knobs come from run's environment, as the app
	// process's come from the container's.
	var cfg engine.Config
	if err := frontenv.Read(os.Getenv, &cfg); err != nil {
		return err
	}
	cache, err := e.cache()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "spinoci-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	app, stateDir, err := e.loadForRun(ctx, target, f.registry, cache, tmp)
	if err != nil {
		return err
	}
	e.warnUnsupportedTriggers(app.Lock())
	for i := range app.Lock().Components {
		c := &app.Lock().Components[i]
		merged := maps.Clone(c.Env)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, envVars)
		if len(merged) > 0 {
			c.Env = merged
		}
	}
	procEnv := os.Environ()
	for k, v := range vars {
		procEnv = append(procEnv, variableEnvPrefix+strings.ToUpper(k)+"="+v)
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	cfg.Stdout, cfg.Stderr = e.stdout, e.stderr
	cfg.CacheDir, cfg.TempDir, cfg.StateDir = cache.ModulesDir(), tmp, stateDir
	cfg.Env, cfg.RuntimeConfigFile = procEnv, f.runtimeConfig
	eng, err := engine.Load(ctx, app, cfg)
	if err != nil {
		return fmt.Errorf("loading the app: %w", err)
	}
	defer eng.Close()
	trig, err := runner.Load(ctx, eng, app.Lock())
	if err != nil {
		return fmt.Errorf("loading the app's triggers: %w", err)
	}
	var ln net.Listener
	if trig.ListensHTTP(eng) {
		if ln, err = net.Listen("tcp", f.listen); err != nil {
			return fmt.Errorf("listening on %s (use --listen to change it): %w", f.listen, err)
		}
		e.printRoutes(app.Lock(), ln.Addr().String())
	}
	e.printTriggers(app.Lock())
	if status := trig.Serve(ctx, eng, ln); status != 0 {
		return exitStatus(status)
	}
	return nil
}

// printTriggers tells which of the app's other triggers run.
func (e *env) printTriggers(app *lock.LockedApp) {
	if redis, err := app.RedisTriggers(); err == nil {
		for _, t := range redis {
			e.infof("Redis trigger: %s on channel %q at %s", t.Component, t.Channel, redacted(t.Address))
		}
	}
	if mqtt, err := app.MQTTTriggers(); err == nil {
		for _, t := range mqtt {
			e.infof("MQTT trigger: %s on topic %q at %s", t.Component, t.Topic, redacted(t.Broker.Address))
		}
	}
	if commands, err := app.CommandTriggers(); err == nil {
		for _, t := range commands {
			e.infof("Command trigger: running %s", t.Component)
		}
	}
}

// loadForRun returns the local app of arg and the app's state directory.
// A manifest's files are staged under tmp.
func (e *env) loadForRun(ctx context.Context, arg string, reg registryFlags, cache *registry.Cache, tmp string) (*appdir.App, string, error) {
	t, err := resolveTarget(arg)
	if err != nil {
		return nil, "", err
	}
	if t.local() {
		stateDir := filepath.Join(filepath.Dir(t.path), ".spin")
		var local *lock.LockedApp
		if t.kind == appdir.LockFileName {
			local, err = appdir.ReadLock(t.path)
		} else if local, err = manifest.Load(ctx, t.path, manifest.Options{Blobs: cache}); err == nil {
			local, err = manifest.Stage(local, filepath.Join(tmp, "files"))
		}
		if err != nil {
			return nil, "", err
		}
		app, err := appdir.FromLocal(local)
		if err != nil {
			return nil, "", err
		}
		return app, stateDir, nil
	}
	pulled, err := e.pull(ctx, t.ref.String(), reg, "")
	if err != nil {
		return nil, "", err
	}
	app, err := appdir.Open(pulled.dir)
	if err != nil {
		return nil, "", err
	}
	return app, cache.StateDir(pulled.digest), nil
}

// printRoutes tells where each HTTP route is served, as `spin up` does.
func (e *env) printRoutes(app *lock.LockedApp, addr string) {
	e.infof("Serving http://%s", addr)
	triggers, err := app.HTTPTriggers()
	if err != nil || len(triggers) == 0 {
		return
	}
	base := strings.TrimSuffix(app.HTTPBase(), "/")
	e.infof("Available routes:")
	for _, t := range triggers {
		if t.Private {
			continue
		}
		route := strings.TrimSuffix(t.Route, "/...")
		wildcard := ""
		if route != t.Route {
			wildcard = " (wildcard)"
		}
		e.infof("  %s: http://%s%s%s%s", t.Component, addr, base, route, wildcard)
	}
}

// redacted is a server address with any password in it masked.
func redacted(address string) string {
	u, err := url.Parse(address)
	if err != nil {
		return "(an unparsable address)"
	}
	return u.Redacted()
}
