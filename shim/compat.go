package shim

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	bootapi "github.com/containerd/containerd/api/runtime/bootstrap/v1"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"google.golang.org/protobuf/proto"
)

// maxBootstrapInput bounds what the start action reads from stdin.
const maxBootstrapInput = 10 << 20

// IsStartAction tells whether the process was invoked for the shim's start
// action (containerd puts the action last on the command line).
func IsStartAction(args []string) bool {
	return len(args) > 1 && args[len(args)-1] == "start"
}

// RunStartAction handles the start action itself rather than through
// pkg/shim, because pkg/shim >= 2.3 insists on the protobuf bootstrap
// protocol that containerd <= 2.2 (k3s up to v1.36) does not speak. It
// accepts both: protobuf BootstrapParams on stdin from 2.3+ daemons, flags
// only from older ones, and replies in JSON, which both understand.
//
// The reply names task API v3 only to daemons that sent BootstrapParams:
// containerd 1.7 refuses any version above 2, and 1.7 cannot be told apart
// from 2.0-2.2 at start, so every legacy daemon gets v2 (2.x relays it to
// the same service).
//
// Once it has started the server process, the start action materialises
// the container's app for Create (prepareApp) while that process starts up.
func RunStartAction(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	return runStartAction(ctx, args, stdin, stdout, true)
}

// RunStartProtocol is RunStartAction without the app: only the protocol,
// for the benchmark's start floor, which runs no app.
func RunStartProtocol(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	return runStartAction(ctx, args, stdin, stdout, false)
}

func runStartAction(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, withApp bool) error {
	fs := flag.NewFlagSet("start", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		namespace = fs.String("namespace", "", "")
		id        = fs.String("id", "", "")
		address   = fs.String("address", "", "")
		debug     = fs.Bool("debug", false, "")
	)
	fs.String("publish-binary", "", "")
	fs.String("bundle", "", "")
	fs.String("socket", "", "")
	fs.String("debug-socket", "", "")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("parsing start flags: %w", err)
	}
	input, err := io.ReadAll(io.LimitReader(stdin, maxBootstrapInput))
	if err != nil {
		return fmt.Errorf("reading bootstrap parameters: %w", err)
	}
	params, fromDaemon := bootstrapParams(input, *namespace, *id, *address, *debug)
	ctx = namespaces.WithNamespace(ctx, params.GetNamespace())
	bundle, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("getting bundle directory: %w", err)
	}
	spec, err := readSpec(bundle) // once, for the group and the app
	if err != nil {
		return err
	}
	result, err := NewManager().start(ctx, params, spec)
	if err != nil {
		return err
	}
	if withApp {
		images := containerdImages{store: newContainerdStore(params.GetContainerdGrpcAddress())}
		prepareApp(ctx, images, bundle, spec, params.GetNamespace(), params.GetInstanceID())
	}
	reply, err := json.Marshal(struct {
		Version  int    `json:"version"`
		Address  string `json:"address"`
		Protocol string `json:"protocol"`
	}{replyVersion(result.GetVersion(), fromDaemon), result.GetAddress(), result.GetProtocol()})
	if err != nil {
		return err
	}
	_, err = stdout.Write(reply)
	return err
}

// legacyTaskAPIVersion is the task API version a daemon that predates the
// bootstrap protocol (containerd 1.7 to 2.2) is told to speak.
const legacyTaskAPIVersion = 2

// replyVersion is the task API version the start reply names: the
// manager's choice for a 2.3+ daemon, v2 for older ones.
func replyVersion(managerVersion int32, fromDaemon bool) int {
	if fromDaemon {
		return int(managerVersion)
	}
	return legacyTaskAPIVersion
}

// bootstrapParams uses the daemon's protobuf parameters when they are there
// and match the flags (fromDaemon), and builds equivalent ones from the
// flags otherwise (legacy stdin, if any, only carries runtime options).
func bootstrapParams(input []byte, namespace, id, address string, debug bool) (_ *bootapi.BootstrapParams, fromDaemon bool) {
	var params bootapi.BootstrapParams
	if len(input) > 0 && proto.Unmarshal(input, &params) == nil &&
		params.GetInstanceID() == id && params.GetNamespace() == namespace {
		if debug && params.GetLogLevel() > bootapi.LogLevel_LOG_LEVEL_DEBUG {
			params.LogLevel = bootapi.LogLevel_LOG_LEVEL_DEBUG
		}
		return &params, true
	}
	legacy := &bootapi.BootstrapParams{
		InstanceID:             id,
		Namespace:              namespace,
		ContainerdGrpcAddress:  address,
		ContainerdTtrpcAddress: os.Getenv("TTRPC_ADDRESS"),
		LogLevel:               bootapi.LogLevel_LOG_LEVEL_INFO,
	}
	if debug {
		legacy.LogLevel = bootapi.LogLevel_LOG_LEVEL_DEBUG
	}
	return legacy, false
}
