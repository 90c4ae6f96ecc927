package shim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	bootapi "github.com/containerd/containerd/api/runtime/bootstrap/v1"
	"github.com/containerd/containerd/api/types"
	"github.com/containerd/containerd/v2/defaults"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/shim"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/shim/appproto"
)

// groupAnnotations put several containers into one shim server: CRI sets
// the sandbox id on the pod's sandbox and on every container of the pod.
func groupAnnotations() []string {
	return []string{"io.kubernetes.cri.sandbox-id", "io.containerd.spinoci.v1.group"}
}

// socketAddressEnv carries the server's socket address from the start action
// to the server, which must remove it itself: pkg/shim only cleans up
// sockets it created, and grouped shims are not named after the task id.
const socketAddressEnv = "SPINOCI_SHIM_SOCKET"

// Manager starts and stops shim server processes (pkg/shim's Shim).
type Manager struct{}

// NewManager returns the shim manager for RuntimeName.
func NewManager() *Manager { return &Manager{} }

// Name implements shim.Shim.
func (*Manager) Name() string { return RuntimeName }

// Info implements shim.Shim.
func (*Manager) Info(context.Context, io.Reader) (*types.RuntimeInfo, error) {
	return &types.RuntimeInfo{Name: RuntimeName, Version: &types.RuntimeVersion{Version: Version}}, nil
}

// Start implements shim.Shim: it finds or starts the server process for the
// container's group and returns its address. The working directory is the
// bundle.
func (m *Manager) Start(ctx context.Context, params *bootapi.BootstrapParams) (*bootapi.BootstrapResult, error) {
	bundle, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("getting bundle directory: %w", err)
	}
	spec, err := readSpec(bundle)
	if err != nil {
		return nil, err
	}
	return m.start(ctx, params, spec)
}

// start is Start for the container whose bundle's spec is spec.
func (*Manager) start(ctx context.Context, params *bootapi.BootstrapParams, spec *specs.Spec) (_ *bootapi.BootstrapResult, retErr error) {
	result := &bootapi.BootstrapResult{Version: 3, Protocol: "ttrpc"}
	grouping := groupingKey(spec, params.GetInstanceID())
	socketDir := params.GetSocketDir()
	if socketDir == "" {
		socketDir = filepath.Join(defaults.DefaultStateDir, "s")
	}
	addr, err := shim.CreateSocketAddress(ctx, socketDir, params.GetContainerdGrpcAddress(), grouping, false)
	if err != nil {
		return nil, fmt.Errorf("computing shim socket address: %w", err)
	}
	listener, err := shim.NewSocket(addr)
	if err != nil {
		if !shim.SocketEaddrinuse(err) {
			return nil, fmt.Errorf("creating shim socket %s: %w", addr, err)
		}
		if shim.CanConnect(addr) {
			// The group's server is already running: the new container joins it.
			result.Address = addr
			return result, nil
		}
		if err := shim.RemoveSocket(addr); err != nil {
			return nil, fmt.Errorf("removing stale shim socket %s: %w", addr, err)
		}
		if listener, err = shim.NewSocket(addr); err != nil {
			return nil, fmt.Errorf("creating shim socket %s: %w", addr, err)
		}
	}
	socketFile, err := listener.File()
	// The server serves on the duplicated descriptor; closing our listener
	// must not unlink the socket path it listens on.
	listener.SetUnlinkOnClose(false)
	listener.Close()
	if err != nil {
		_ = shim.RemoveSocket(addr)
		return nil, fmt.Errorf("getting shim socket file: %w", err)
	}
	defer socketFile.Close()
	defer func() {
		if retErr != nil {
			_ = shim.RemoveSocket(addr)
		}
	}()

	cmd, err := serverCommand(ctx, params, addr)
	if err != nil {
		return nil, err
	}
	cmd.ExtraFiles = []*os.File{socketFile} // pkg/shim serves on fd 3
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting shim server: %w", err)
	}
	defer func() {
		if retErr != nil {
			_ = cmd.Process.Kill()
		}
	}()
	go func() { _ = cmd.Wait() }()
	if err := shim.AdjustOOMScore(cmd.Process.Pid); err != nil {
		return nil, fmt.Errorf("adjusting shim OOM score: %w", err)
	}
	result.Address = addr
	return result, nil
}

// serverCommand re-executes this binary as the long-running server. It gets
// no stdout/stderr: containerd reads the start action's output until every
// holder of it has exited.
func serverCommand(ctx context.Context, params *bootapi.BootstrapParams, addr string) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding shim executable: %w", err)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("getting bundle directory: %w", err)
	}
	ns := params.GetNamespace()
	if ns == "" {
		ns, _ = namespaces.Namespace(ctx)
	}
	args := []string{"-namespace", ns, "-id", params.GetInstanceID(), "-address", params.GetContainerdGrpcAddress()}
	if params.GetLogLevel() <= bootapi.LogLevel_LOG_LEVEL_DEBUG {
		args = append(args, "-debug")
	}
	cmd := exec.Command(self, args...)
	cmd.Dir = cwd
	cmd.Env = append(os.Environ(),
		"TTRPC_ADDRESS="+params.GetContainerdTtrpcAddress(),
		socketAddressEnv+"="+addr,
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, nil
}

// groupingKey is the group the container id of spec belongs to: the value
// of its group annotation, else its own id.
func groupingKey(spec *specs.Spec, id string) string {
	for _, key := range groupAnnotations() {
		if group := spec.Annotations[key]; group != "" {
			return group
		}
	}
	return id
}

// Stop implements shim.Shim for the delete action: it runs in a new process
// (working directory = bundle) after the server is gone or done with the
// task, kills the app if the server could not, removes the app directory,
// the cgroup and a dead server's socket, and reports the recorded exit status.
func (*Manager) Stop(ctx context.Context, id string) (shim.StopStatus, error) {
	bundle, err := os.Getwd()
	if err != nil {
		return shim.StopStatus{}, fmt.Errorf("getting bundle directory: %w", err)
	}
	rec, err := readTaskRecord(bundle)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		log.G(ctx).WithError(err).Warn("reading task record")
	}
	status := shim.StopStatus{Pid: rec.Pid, ExitStatus: 128 + int(syscall.SIGKILL), ExitedAt: time.Now()}
	if rec.Exited {
		status.ExitStatus = rec.ExitStatus
		status.ExitedAt = rec.ExitedAt
	} else if rec.Pid > 0 && isOurProcess(rec.Pid) {
		// The server died without reaping the app: stop it here.
		if err := syscall.Kill(rec.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			log.G(ctx).WithError(err).WithField("pid", rec.Pid).Warn("killing orphaned app process")
		}
	}
	if rec.AppDir == "" {
		rec.AppDir = unclaimedPreparedApp(bundle)
	}
	if rec.AppDir != "" {
		if err := os.RemoveAll(rec.AppDir); err != nil {
			log.G(ctx).WithError(err).Warn("removing app directory")
		}
		collectFileStore(ctx, stateRootFor(bundle).fileStoreDir())
	}
	if rec.Cgroup != "" {
		if err := removeCgroup(rec.Cgroup); err != nil {
			log.G(ctx).WithError(err).Warn("removing cgroup")
		}
	}
	removeDeadServerSocket(ctx, bundle)
	_ = id
	return status, nil
}

// isOurProcess tells whether pid still runs the app binary next to this
// shim (a child: the app or pause process), or this binary, so that the
// delete action never signals a recycled pid.
func isOurProcess(pid int) bool {
	self, err := os.Executable()
	if err != nil {
		return false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return err == nil && (exe == self || exe == filepath.Join(filepath.Dir(self), appproto.AppBinaryName))
}

// taskRecord is what the server persists in the bundle about a task so that
// the delete action can clean up and report after the server has gone.
type taskRecord struct {
	Pid        int       `json:"pid"`
	AppDir     string    `json:"app_dir,omitempty"`
	Cgroup     string    `json:"cgroup,omitempty"`
	Exited     bool      `json:"exited"`
	ExitStatus int       `json:"exit_status"`
	ExitedAt   time.Time `json:"exited_at"`
}

func readTaskRecord(bundle string) (taskRecord, error) {
	var rec taskRecord
	data, err := os.ReadFile(exitFile(bundle))
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, fmt.Errorf("parsing %s: %w", exitFile(bundle), err)
	}
	return rec, nil
}

func writeTaskRecord(bundle string, rec taskRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	tmp := exitFile(bundle) + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing task record: %w", err)
	}
	if err := os.Rename(tmp, exitFile(bundle)); err != nil {
		return fmt.Errorf("writing task record: %w", err)
	}
	return nil
}

// errNoTask is returned for requests about tasks this shim does not hold.
func errNoTask(id string) error {
	return fmt.Errorf("task %q: %w", id, errdefs.ErrNotFound)
}
