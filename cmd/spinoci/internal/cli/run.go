package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/cmd/spinoci/internal/registry"
	"github.com/spinoci/spinoci/engine"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/manifest"
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
	plainHTTP bool
}

func newRunCmd(e *env) *cobra.Command {
	var f runFlags
	var cmd *cobra.Command
	cmd = &cobra.Command{
		Use:   "run REF|DIR [--listen ADDR] [--env K=V] [--variable K=V]",
		Short: "Run a Spin application locally",
		Long: `Run serves a Spin application's HTTP triggers with the engine of
containerd-shim-spinoci-v1, without containerd.

The app is REF (pulled first, as by ` + "`spinoci pull`" + `) or a local DIR: a directory
with a spin.toml (or the manifest file itself), or an app directory with a
spin.lock such as ` + "`spinoci pull`" + ` writes. An argument that exists on disk is a DIR.

--listen defaults to $` + listenAddrEnv + `, else ` + defaultListenAddr + `.
--env sets an environment variable of every component; --variable sets an
application variable (as SPIN_VARIABLE_<NAME> does). Ctrl-C (SIGINT) or
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
	fl.BoolVar(&f.plainHTTP, "plain-http", false, "use HTTP instead of HTTPS (local registries)")
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
	cache, err := e.cache()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "spinoci-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	app, stateDir, err := e.loadForRun(ctx, target, f.plainHTTP, cache, tmp)
	if err != nil {
		return err
	}
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
	eng, err := engine.Load(ctx, app, engine.Config{
		Stdout:   e.stdout,
		Stderr:   e.stderr,
		CacheDir: cache.ModulesDir(),
		TempDir:  tmp,
		Env:      procEnv,
		StateDir: stateDir,
	})
	if err != nil {
		return fmt.Errorf("loading the app: %w", err)
	}
	defer eng.Close()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listening on %s (use --listen to change it): %w", f.listen, err)
	}
	e.printRoutes(app.Lock(), ln.Addr().String())
	if err := eng.Serve(ctx, ln); err != nil {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

// loadForRun returns the local app of target and the app's state
// directory. A manifest's files are staged under tmp.
func (e *env) loadForRun(ctx context.Context, target string, plainHTTP bool, cache *registry.Cache, tmp string) (*appdir.App, string, error) {
	fi, statErr := os.Stat(target)
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return nil, "", statErr
	}
	if statErr == nil {
		kind, path, err := localApp(target, fi)
		if err != nil {
			return nil, "", err
		}
		stateDir := filepath.Join(filepath.Dir(path), ".spin")
		var local *lock.LockedApp
		if kind == appdir.LockFileName {
			local, err = appdir.ReadLock(path)
		} else if local, err = manifest.Load(ctx, path, manifest.Options{Blobs: cache}); err == nil {
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
	pulled, err := e.pull(ctx, target, plainHTTP, "")
	if err != nil {
		var u usageError
		if errors.As(err, &u) {
			return nil, "", fmt.Errorf("%s is neither a file nor a directory, nor a valid reference: %w", target, u.error)
		}
		return nil, "", err
	}
	app, err := appdir.Open(pulled.dir)
	if err != nil {
		return nil, "", err
	}
	return app, cache.StateDir(pulled.digest), nil
}

// localApp finds the app at an existing path: a spin.toml (or any .toml
// file), a spin.lock, or a directory holding one of them (spin.toml first).
// It returns manifest.FileName or appdir.LockFileName and the file's path.
func localApp(target string, fi os.FileInfo) (kind, path string, err error) {
	if !fi.IsDir() {
		if strings.HasSuffix(target, ".toml") {
			return manifest.FileName, target, nil
		}
		return appdir.LockFileName, target, nil
	}
	for _, name := range []string{manifest.FileName, appdir.LockFileName} {
		p := filepath.Join(target, name)
		if _, err := os.Stat(p); err == nil {
			return name, p, nil
		}
	}
	return "", "", fmt.Errorf("%s holds neither %s nor %s", target, manifest.FileName, appdir.LockFileName)
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
