package startaction

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/shim/atomicfile"
	"github.com/spinoci/spinoci/shim/rendezvous"
	"github.com/spinoci/spinoci/shim/seccompbpf/compiler"
)

// GroupAnnotation puts the containers that carry the same value (within a
// containerd namespace) into one shim server.
const GroupAnnotation = "io.containerd.spinoci.v1.group"

// maxBootstrapInput bounds what the start action reads from stdin.
const maxBootstrapInput = 10 << 20

// legacyTaskAPIVersion is the task API version a daemon that predates the
// bootstrap protocol (containerd 1.7 to 2.2) is told to speak; newer ones
// are told taskAPIVersion.
const (
	legacyTaskAPIVersion = 2
	taskAPIVersion       = 3
)

// groupAnnotations put several containers into one shim server, the first
// one a container carries deciding: the group annotation, which under CRI
// reaches pods whose runtime passes it on (pod_annotations), so that pods
// can share a server, then the sandbox id CRI sets on the pod's sandbox and
// on every container of the pod. runc's shim weighs its own group
// annotation before the sandbox id likewise.
func groupAnnotations() []string {
	return []string{GroupAnnotation, "io.kubernetes.cri.sandbox-id"}
}

// IsStartAction tells whether the process was invoked for the shim's start
// action (containerd puts the action last on the command line).
func IsStartAction(args []string) bool {
	return len(args) > 1 && args[len(args)-1] == "start"
}

// ServerBinary is the shim server binary next to the running one.
func ServerBinary() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding the shim executable: %w", err)
	}
	return self + rendezvous.ServerSuffix, nil
}

// Run is the start action for the command line args (args[0] is the
// program): it reads containerd's bootstrap parameters from stdin and
// writes the reply to stdout. The working directory is the bundle.
func Run(args []string, stdin io.Reader, stdout io.Writer) error {
	server, err := ServerBinary()
	if err != nil {
		return err
	}
	return run(args, stdin, stdout, server, containerdApps)
}

// run is Run with the server binary server, reading apps from apps.
func run(args []string, stdin io.Reader, stdout io.Writer, server string, apps appSource) error {
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
	p, fromDaemon := bootstrapParams(input, *namespace, *id, *address, *debug)
	opts, err := runtimeOptions(input, fromDaemon)
	if err != nil {
		return err
	}
	addr, err := start(p, opts, server, apps)
	if err != nil {
		return err
	}
	version := legacyTaskAPIVersion
	if fromDaemon {
		version = taskAPIVersion
	}
	reply, err := json.Marshal(struct {
		Version  int    `json:"version"`
		Address  string `json:"address"`
		Protocol string `json:"protocol"`
	}{version, addr, "ttrpc"})
	if err != nil {
		return err
	}
	if err := writeAddressFile(reply); err != nil {
		return err
	}
	_, err = stdout.Write(reply)
	return err
}

// addressFile is where, in the bundle, the start action leaves its reply:
// containerd 1.7 reconnects to the shim from it when it restarts (it
// reads the file, not its own record of the reply, and cleans up a task
// whose bundle lacks it). Later daemons keep their own record; the file is
// harmless to them.
const addressFile = "address"

// writeAddressFile writes reply to the bundle's (the working directory's)
// addressFile, atomically.
func writeAddressFile(reply []byte) error {
	if err := atomicfile.Write(addressFile, reply, 0o600); err != nil {
		return fmt.Errorf("writing the shim's address into the bundle: %w", err)
	}
	return nil
}

// start finds or starts the server process of the container's group and
// returns its address; a container that starts a server has its app read
// from apps meanwhile (prepareApp). The runtime options' group stands for a
// group annotation the container does not carry.
func start(p params, opts RuntimeOptions, server string, apps appSource) (_ string, retErr error) {
	bundle, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getting bundle directory: %w", err)
	}
	annotations, seccompProfile, err := readSpecParts(bundle)
	if err != nil {
		return "", err
	}
	// The server reads the compiled filter from the bundle, so that it
	// links no seccomp compiler (package seccompbpf says why).
	if err := compiler.WriteFilter(bundle, seccompProfile); err != nil {
		return "", err
	}
	if opts.Group != "" && annotations[GroupAnnotation] == "" {
		annotations = maps.Clone(annotations)
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[GroupAnnotation] = opts.Group
	}
	key, err := serverKey(annotations, p.instanceID, server)
	if err != nil {
		return "", err
	}
	addr, err := socketAddress(p.socketDir, p.grpcAddress, p.namespace, key)
	if err != nil {
		return "", fmt.Errorf("computing shim socket address: %w", err)
	}
	path, err := rendezvous.Path(addr)
	if err != nil {
		return "", err
	}
	listener, err := listen(path)
	if err != nil {
		if !inUse(err) {
			return "", fmt.Errorf("creating shim socket %s: %w", path, err)
		}
		if rendezvous.Accepting(path) {
			// The group's server is already running: the new container joins it.
			return addr, nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("removing stale shim socket %s: %w", path, err)
		}
		if listener, err = listen(path); err != nil {
			return "", fmt.Errorf("creating shim socket %s: %w", path, err)
		}
	}
	socketFile, err := listener.File()
	// The server serves on the duplicated descriptor; closing our listener
	// must not unlink the socket path it listens on.
	listener.SetUnlinkOnClose(false)
	listener.Close()
	if err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("getting shim socket file: %w", err)
	}
	defer socketFile.Close()
	defer func() {
		if retErr != nil {
			_ = os.Remove(path)
		}
	}()

	// The app is read while the server execs and starts up; the reply
	// waits for it, since containerd's Create follows the reply.
	awaitApp := prepareApp(apps(p.grpcAddress), p, bundle, annotations)
	defer func() { awaitApp(retErr != nil) }()
	cmd := serverCommand(p, server, bundle, addr)
	cmd.ExtraFiles = []*os.File{socketFile} // the server serves on fd 3
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting shim server %s: %w (install it next to the shim, from the same release)", server, err)
	}
	defer func() {
		if retErr != nil {
			_ = cmd.Process.Kill()
		}
	}()
	// Until it is waited for, the server's pid stays its own, even if it
	// has already exited: adjust its OOM score before anything reaps it.
	if err := adjustOOMScore(cmd.Process.Pid); err != nil {
		return "", err
	}
	go func() { _ = cmd.Wait() }()
	return addr, nil
}

// serverMaxProcs is the shim server's GOMAXPROCS.
const serverMaxProcs = "1"

// serverCommand runs the server binary. It gets no stdout/stderr:
// containerd reads the start action's output until every holder of it has
// exited.
func serverCommand(p params, server, bundle, addr string) *exec.Cmd {
	args := []string{"-namespace", p.namespace, "-id", p.instanceID, "-address", p.grpcAddress}
	if p.logLevel <= logLevelDebug {
		args = append(args, "-debug")
	}
	cmd := exec.Command(server, args...)
	cmd.Dir = bundle
	cmd.Env = append(os.Environ(),
		"TTRPC_ADDRESS="+p.ttrpcAddress,
		rendezvous.AddressEnv+"="+addr,
		// containerd gives shims 2; the server's work is light and mostly
		// waits, and one P spares each server ~0.4 MB of per-P caches and
		// heap with no measurable cost to a start.
		"GOMAXPROCS="+serverMaxProcs,
	)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// readSpecParts reads the annotations and the seccomp profile (nil: none)
// of the OCI spec in bundle: all the start action needs of it.
func readSpecParts(bundle string) (map[string]string, *specs.LinuxSeccomp, error) {
	path := filepath.Join(bundle, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading OCI spec: %w", err)
	}
	var spec struct {
		Annotations map[string]string `json:"annotations"`
		Linux       *struct {
			Seccomp *specs.LinuxSeccomp `json:"seccomp"`
		} `json:"linux"`
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, nil, fmt.Errorf("parsing OCI spec %s: %w", path, err)
	}
	if spec.Linux == nil {
		return spec.Annotations, nil, nil
	}
	return spec.Annotations, spec.Linux.Seccomp, nil
}

// serverKey names the server the container id goes to: its grouping key,
// and for a group annotation's group the server binary's identity too (its
// file's device, inode, size and modification time), so that a shim
// installed anew on the node serves the group's next containers from a
// server of its own while those running keep theirs: a group may have a
// container at all times. A pod's or a lone container's server ends with
// it, as runc's does, and later containers of the pod join it.
func serverKey(annotations map[string]string, id, server string) (string, error) {
	key := groupingKey(annotations, id)
	if annotations[GroupAnnotation] == "" {
		return key, nil
	}
	var st syscall.Stat_t
	if err := syscall.Stat(server, &st); err != nil {
		return "", fmt.Errorf("shim server %s: %w (install it next to the shim, from the same release)", server, err)
	}
	return fmt.Sprintf("%s@%d:%d:%d:%d", key, st.Dev, st.Ino, st.Size, st.Mtim.Nano()), nil
}

// groupingKey is the group the container id belongs to: the value of its
// group annotation, else its own id.
func groupingKey(annotations map[string]string, id string) string {
	for _, key := range groupAnnotations() {
		if group := annotations[key]; group != "" {
			return group
		}
	}
	return id
}

// CompileSeccomp is the shim binary's rendezvous.CompileSeccompAction: it
// compiles the seccomp profile of the spec in bundle into the bundle, as a
// start action does.
func CompileSeccomp(bundle string) error {
	_, profile, err := readSpecParts(bundle)
	if err != nil {
		return err
	}
	return compiler.WriteFilter(bundle, profile)
}
