package shimserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/pkg/shutdown"
	"github.com/containerd/containerd/v2/pkg/sys/reaper"
	"github.com/containerd/log"
	"github.com/containerd/ttrpc"
	"golang.org/x/sys/unix"
)

const (
	// ttrpcAddressEnv is where containerd puts the address of its ttrpc
	// service, which receives the shim's events.
	ttrpcAddressEnv = "TTRPC_ADDRESS"
	// listenerFD is the server socket the start action hands over.
	listenerFD = 3
	// gcPercent keeps an idle server's heap small: it allocates little
	// and rarely, so collecting often costs nothing that matters.
	gcPercent = 40
	// shutdownGrace bounds the wait for the shutdown callbacks (the last
	// events) once the server stops serving.
	shutdownGrace = 5 * time.Second
)

// serve runs the server until it shuts down: on the task service's
// request (containerd's Shutdown call) or SIGTERM/SIGINT.
func serve(ctx context.Context, cfg Config, f flags) error {
	debug.SetGCPercent(gcPercent)
	signals := make(chan os.Signal, 32)
	signal.Notify(signals, unix.SIGTERM, unix.SIGINT, unix.SIGPIPE, unix.SIGCHLD, unix.SIGUSR1)
	// Orphans of the app process (its own children) are reaped here, not
	// by init, so that the app's exit is observed however it forks.
	if err := reaper.SetSubreaper(1); err != nil {
		return fmt.Errorf("becoming the subreaper of the shim's children: %w", err)
	}
	renewal, err := takeRenewal()
	if err != nil {
		return err
	}
	var logs *Log
	if renewal != nil {
		logs = resumeLog(f.debug, renewal.LogBundle)
	} else if logs, err = logToFIFO(ctx, f.debug); err != nil {
		return err
	}
	ctx, sd := shutdown.WithShutdown(ctx)
	defer sd.Shutdown()

	publisher := NewPublisher(os.Getenv(ttrpcAddressEnv))
	svc, err := cfg.NewTaskService(ctx, Env{Publisher: publisher, Shutdown: sd, Address: f.address, Log: logs, Renewed: renewal != nil})
	if err != nil {
		return fmt.Errorf("creating the task service: %w", err)
	}
	renewable, _ := svc.(Renewable)
	conns := newConnSet()
	var l net.Listener
	var inherited []*trackedConn
	if renewal != nil {
		if renewable == nil {
			return errors.New("the task service cannot take over a previous server's state")
		}
		if err := renewable.TakeOver(ctx, renewal.Service); err != nil {
			return fmt.Errorf("taking over the state of the server's previous process: %w", err)
		}
		if l, inherited, err = renewal.resumeSockets(conns); err != nil {
			return err
		}
	} else if l, err = listener(f.socket); err != nil {
		return err
	}
	idle := newIdleMemory()
	renewNow := make(chan struct{}, 1)
	schedule := newRenewalSchedule(func() {
		select {
		case renewNow <- struct{}{}:
		default:
		}
	})
	server, err := newTTRPCServer(conns, func(fullMethod string) {
		idle.requestDone()
		schedule.requestDone(fullMethod)
	})
	if err != nil {
		return fmt.Errorf("creating the ttrpc server: %w", err)
	}
	methods := registeredMethods{}
	if err := svc.RegisterTTRPC(recordingRegistrar{server: server, methods: methods}); err != nil {
		return fmt.Errorf("registering the task service: %w", err)
	}
	accepting := newTrackedListener(l, inherited)
	served := make(chan error, 1)
	go func() { served <- server.Serve(ctx, accepting) }()
	logger := log.G(ctx)
	var renew *renewer
	if renewable != nil {
		renew = &renewer{svc: renewable, listener: accepting, conns: conns, log: logs, allocatedBefore: allocatedBytes(), signals: signals}
	}
	if renewal != nil {
		answerHandedOver(ctx, methods, inherited, idle.requestDone)
		// Children that exited while the binary was exec'd signalled no
		// one.
		if err := reaper.Reap(); err != nil {
			logger.WithError(err).Error("reaping exited children")
		}
		logger.WithField("connections", len(inherited)).Debug("shim server renewed in place")
	}

	handle := func(s os.Signal) {
		switch s {
		case unix.SIGCHLD:
			if err := reaper.Reap(); err != nil {
				logger.WithError(err).Error("reaping exited children")
			}
		case unix.SIGTERM, unix.SIGINT:
			logger.WithField("signal", s).Debug("shutting down on signal")
			sd.Shutdown()
		case unix.SIGUSR1:
			dumpStacks(logger)
		}
	}
	for {
		select {
		case s := <-signals:
			handle(s)
		case <-renewNow:
			if renew != nil && ctx.Err() == nil && renew.worthIt() {
				tryRenewal(ctx, renew, schedule)
				if s := renew.takenSignal(); s != nil {
					handle(s)
				}
			}
		case err := <-served:
			if err != nil && !errors.Is(err, ttrpc.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("serving the task API: %w", err)
			}
		case <-ctx.Done():
			select {
			case <-sd.Done():
				return nil
			case <-time.After(shutdownGrace):
				return errors.New("shim shutdown timed out")
			}
		}
	}
}

// tryRenewal renews the server; it returns only if the renewal did not
// happen. One that could not happen now is tried again later; one whose
// exec failed leaves the server as it is (its next requests may try again).
func tryRenewal(ctx context.Context, renew *renewer, schedule *renewalSchedule) {
	err := renew.renew(ctx)
	if errors.Is(err, errNotRenewed) {
		log.G(ctx).WithError(err).Debug("shim server not renewed now")
		schedule.notNow()
		return
	}
	log.G(ctx).WithError(err).Warn("the shim server could not renew itself; it goes on as it is")
}

// listener is the server socket: the one the start action opened (fd 3),
// or a new one at path (-socket).
func listener(path string) (net.Listener, error) {
	if path == "" {
		l, err := net.FileListener(os.NewFile(listenerFD, "socket"))
		if err != nil {
			return nil, fmt.Errorf("using the inherited shim socket (fd %d): %w", listenerFD, err)
		}
		return l, nil
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listening on the shim socket: %w", err)
	}
	return l, nil
}

// logToFIFO sends the log, and anything written to stderr (a panic), to
// the log FIFO of the bundle, the working directory, which containerd
// copies into its own log.
func logToFIFO(ctx context.Context, debugLevel bool) (*Log, error) {
	_ = log.SetFormat(log.TextFormat)
	if debugLevel {
		_ = log.SetLevel(log.DebugLevel.String())
	}
	bundle, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("finding the bundle directory: %w", err)
	}
	logs, err := openLog(ctx, bundle, int(os.Stderr.Fd()))
	if err != nil {
		return nil, err
	}
	log.L.Logger.SetOutput(os.Stderr)
	return logs, nil
}

// resumeLog is logToFIFO in a renewed server, whose stderr is still the
// log FIFO of bundle.
func resumeLog(debugLevel bool, bundle string) *Log {
	_ = log.SetFormat(log.TextFormat)
	if debugLevel {
		_ = log.SetLevel(log.DebugLevel.String())
	}
	log.L.Logger.SetOutput(os.Stderr)
	return &Log{fd: int(os.Stderr.Fd()), bundle: bundle}
}

// dumpStacks logs every goroutine's stack (SIGUSR1), for an operator
// looking at a stuck server.
func dumpStacks(logger *log.Entry) {
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	logger.Infof("goroutine stacks (SIGUSR1):\n%s", b.String())
}
