package appprocess

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/containerd/log"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/cmd/internal/frontenv"
	"github.com/spinoci/spinoci/engine"
	"github.com/spinoci/spinoci/engine/runtimeconfig"
	"github.com/spinoci/spinoci/engine/trigger/runner"
	"github.com/spinoci/spinoci/shim/appproto"
)

// listenAddrEnv is where, as in the Spin shim, the container's environment
// says which address the HTTP trigger listens on.
const (
	listenAddrEnv     = "SPIN_HTTP_LISTEN_ADDR"
	defaultListenAddr = "0.0.0.0:80"
)

// Run is the app process: it loads the materialised app, reports readiness
// to the shim, serves once told to start, and stops gracefully on SIGTERM or
// SIGINT (in-flight requests finish, exit status 0). Its environment is the
// container's; its stdout and stderr are the container's. args follow
// appproto.AppModeArg; startup holds when the process reached the steps of
// its start before Run, which its ready line reports with the time it was
// loaded. The result is the exit status.
func Run(args []string, startup appproto.Startup) int {
	opts, err := appproto.ParseAppArgs(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "spinoci app: %v\n", err)
		return 2
	}
	// Wasmtime captures a backtrace for every error when this is set, which
	// is slow; containerd's environment may carry it into containers.
	os.Unsetenv("RUST_BACKTRACE")
	os.Unsetenv("RUST_LIB_BACKTRACE")
	// The container's stdout may be a FIFO whose reader goes away (`ctr run
	// -d` exits); output is then dropped, as runc's shim drops it, instead of
	// the app dying of SIGPIPE.
	signal.Ignore(syscall.SIGPIPE)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	status := os.NewFile(appproto.StatusFD, "status")
	control := os.NewFile(appproto.ControlFD, "control")
	report := func(st appproto.Status) { _ = appproto.WriteStatus(status, st) }
	fail := func(err error) int {
		report(appproto.Status{Error: err.Error()})
		return 1
	}
	// With CacheOnly, missing compiled code is no failure: the shim runs
	// the compile stage and starts the app again.
	failOrNotCached := func(err error) int {
		if errors.Is(err, engine.ErrNotCached) {
			report(appproto.Status{State: appproto.StateNotCached})
			return 0
		}
		return fail(err)
	}

	if err := appproto.SetHostname(opts.Hostname); err != nil {
		return fail(err)
	}
	app, err := appdir.Open(filepath.Dir(opts.LockPath))
	if err != nil {
		return fail(fmt.Errorf("reading app lock: %w", err))
	}
	if opts.CompileOnly {
		if err := compileStage(ctx, opts, app, report); err != nil {
			return fail(err)
		}
		return 0 // the shim's compile stage: the cache is filled
	}
	procs := startedOnOneProc(opts.OneProc)
	tempDir := opts.TempDir
	if tempDir == "" {
		tempDir = filepath.Dir(opts.LockPath)
	}
	cfg := engine.Config{
		Stdout:            os.Stdout,
		Stderr:            os.Stderr,
		CacheDir:          opts.CacheDir,
		TempDir:           tempDir,
		Env:               os.Environ(),
		StateDir:          opts.StateDir,
		CacheOnly:         opts.CacheOnly && opts.CacheDir != "",
		RuntimeConfigFile: opts.RuntimeConfigPath,
		RuntimeConfigName: opts.RuntimeConfigName,
	}
	for _, v := range opts.Volumes {
		vol, err := runtimeconfig.ParseVolume(v)
		if err != nil {
			return fail(err)
		}
		cfg.RuntimeConfigVolumes = append(cfg.RuntimeConfigVolumes, vol)
	}
	if err := frontenv.Read(os.Getenv, &cfg); err != nil {
		return fail(err)
	}
	eng, err := engine.Load(ctx, app, cfg)
	if err != nil {
		return failOrNotCached(err)
	}
	defer eng.Close()
	trig, err := runner.Load(ctx, eng, app.Lock())
	if err != nil {
		return failOrNotCached(err)
	}
	startup.Ready = time.Now().UnixNano()
	ready := appproto.Status{State: appproto.StateReady, Startup: &startup}
	if eng.RunsFastCode() {
		ready.Tier = appproto.TierFast // the shim starts an optimising compile stage
	}
	report(ready)

	if !appproto.AwaitStart(ctx, control) {
		return 0 // stopped (or the shim went away) before Start
	}
	var ln net.Listener
	if trig.ListensHTTP(eng) {
		addr := os.Getenv(listenAddrEnv)
		if addr == "" {
			addr = defaultListenAddr
		}
		if ln, err = listen(addr); err != nil {
			return fail(fmt.Errorf("listening on %s (set %s to change it): %w", addr, listenAddrEnv, err))
		}
		ln = procs.listener(ln)
		report(appproto.Status{State: appproto.StateListening, Addr: ln.Addr().String()})
		log.G(ctx).WithField("address", ln.Addr().String()).Info("serving Spin app")
	} else {
		report(appproto.Status{State: appproto.StateListening})
	}
	status.Close()
	if trig.HasNonHTTP() {
		procs.scaleUp() // only an HTTP app's connections tell when to
	}
	tuneGCForServing(os.Getenv)
	return trig.Serve(ctx, eng, ln)
}
