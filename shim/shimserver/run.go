// Package shimserver runs a shim server binary the way containerd runs a
// shim's binary: it takes the flags containerd passes, runs the delete and
// -info actions, and serves a task service on the socket the start action
// opened (fd 3), with task events sent to containerd over ttrpc, the log
// going to the bundle's log FIFO, children reaped and a shutdown that lets
// the last events out. Once idle, a server whose task service is Renewable
// renews itself: it execs its own binary in place and hands the new
// process its state and containerd's connections (renewal.go). It stands
// in for containerd's shim library, which links gRPC, a plugin registry and
// containerd's API clients: a server per container starts sooner and holds
// less memory without them.
package shimserver

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/shutdown"
	"github.com/containerd/log"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TaskService is what a shim server serves: the task API, registered on
// the server's ttrpc server.
type TaskService interface {
	RegisterTTRPC(Registrar) error
}

// Env is what a task service gets from the server it runs in.
type Env struct {
	// Publisher sends task events to containerd.
	Publisher *Publisher
	// Shutdown ends the server once its callbacks have run.
	Shutdown shutdown.Service
	// Address is containerd's gRPC address (the -address flag).
	Address string
	// Log is where the server's own log goes.
	Log *Log
	// Renewed is set in a server's process after the first: the task
	// service's state comes from TakeOver (Renewable).
	Renewed bool
}

// ExitStatus is what the delete action reports of the task's process.
type ExitStatus struct {
	Pid        int
	ExitStatus int
	ExitedAt   time.Time
}

// Config is one shim server binary.
type Config struct {
	// RuntimeName names the runtime in the server's log lines.
	RuntimeName string
	// Info describes the runtime for -info.
	Info *types.RuntimeInfo
	// NewTaskService builds the task service; ctx carries the namespace
	// and the logger and ends when the server shuts down.
	NewTaskService func(ctx context.Context, env Env) (TaskService, error)
	// Delete runs the delete action, in the bundle directory, after the
	// server is gone or done with task id.
	Delete func(ctx context.Context, id string) (ExitStatus, error)
}

// flags are the command line containerd gives a shim binary.
type flags struct {
	namespace, id, address, socket string
	debug, info                    bool
	action                         string
}

func parseFlags(args []string, usage io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet(filepath.Base(os.Args[0]), flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.BoolVar(&f.debug, "debug", false, "log at debug level")
	fs.BoolVar(&f.info, "info", false, "print the runtime's info (protobuf) to stdout and exit")
	fs.StringVar(&f.namespace, "namespace", "", "containerd namespace of the tasks")
	fs.StringVar(&f.id, "id", "", "id of the task")
	fs.StringVar(&f.socket, "socket", "", "socket path to serve (default: the socket inherited on fd 3)")
	fs.StringVar(&f.address, "address", "", "containerd's gRPC address")
	// Passed by containerd 1.7; events go to TTRPC_ADDRESS instead.
	fs.String("publish-binary", "", "ignored: events go to $"+ttrpcAddressEnv)
	fs.String("debug-socket", "", "ignored")
	// containerd runs the delete action in the bundle directory too.
	fs.String("bundle", "", "ignored: the delete action works in its working directory, the bundle")
	if err := fs.Parse(args); err != nil {
		return f, fmt.Errorf("parsing the shim's flags: %w", err)
	}
	f.action = fs.Arg(0)
	return f, nil
}

// Run runs the server binary with the command line args (without the
// program name) and returns once its action is done or it has shut down;
// -h prints the flags and returns nil.
func Run(ctx context.Context, cfg Config, args []string) error {
	return run(ctx, cfg, args, os.Stdout, os.Stderr)
}

// run is Run with the actions' replies written to stdout and the usage to
// stderr.
func run(ctx context.Context, cfg Config, args []string, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if f.info {
		return writeProto(stdout, cfg.Info)
	}
	if f.namespace == "" {
		return errors.New("shim namespace cannot be empty (no -namespace flag)")
	}
	ctx = namespaces.WithNamespace(ctx, f.namespace)
	ctx = log.WithLogger(ctx, log.G(ctx).WithField("runtime", cfg.RuntimeName))
	switch f.action {
	case "":
		return serve(ctx, cfg, f)
	case "delete":
		return deleteAction(ctx, cfg, f, stdout)
	default:
		return fmt.Errorf("shim action %q is not this binary's", f.action)
	}
}

// deleteAction runs cfg.Delete and writes its result for containerd.
func deleteAction(ctx context.Context, cfg Config, f flags, stdout io.Writer) error {
	if f.debug {
		log.G(ctx).Logger.SetLevel(log.DebugLevel)
	}
	status, err := cfg.Delete(ctx, f.id)
	if err != nil {
		return err
	}
	return writeProto(stdout, &taskAPI.DeleteResponse{
		Pid:        uint32(status.Pid),
		ExitStatus: uint32(status.ExitStatus),
		ExitedAt:   timestamppb.New(status.ExitedAt),
	})
}

func writeProto(w io.Writer, m proto.Message) error {
	data, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding %T: %w", m, err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("writing %T: %w", m, err)
	}
	return nil
}
