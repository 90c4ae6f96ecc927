package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// DefaultNamespace is the containerd namespace the harness uses.
const DefaultNamespace = "spinoci-e2e"

// Containerd is a containerd daemon of a pinned version with its own root,
// state, sockets and shim socket_dir under a temporary directory.
type Containerd struct {
	Version   string
	Dir       string // the temporary directory holding everything below
	Root      string
	State     string
	Address   string // the gRPC socket (the ttrpc one is Address + ".ttrpc")
	SocketDir string // the shims' socket_dir
	Config    string
	Log       string
	// Namespace is the namespace Ctr uses (DefaultNamespace unless changed).
	Namespace string

	t        T    // where commands log; see For
	quiet    bool // commands do not log; see Quiet
	owner    T    // the T that started the daemon and is failed by a leak
	ctr      string
	proc     *process
	stopOnce *sync.Once
	opts     ContainerdOptions
	// bin and env start the daemon again (Restart).
	bin string
	env []string
}

// StartContainerd starts the pinned containerd version with the shim's
// directory first on its PATH and waits for its socket. It is stopped by t's
// cleanup (see Stop).
func StartContainerd(t T, version string) *Containerd {
	t.Helper()
	return StartContainerdWith(t, version, ContainerdOptions{})
}

// ContainerdOptions changes the daemon's configuration.
type ContainerdOptions struct {
	// CRI, when set, enables the CRI plugin (see cri.go).
	CRI *CRIOptions
	// ModuleCacheDir, when set, is the shims' compiled-module cache
	// (SPINOCI_CACHE_DIR in the daemon's environment, which shims inherit)
	// instead of one under the daemon's root: daemons sharing it compile
	// each module once (see SharedModuleCacheDir).
	ModuleCacheDir string
	// Env is added to the daemon's environment, which shims inherit
	// ("NAME=value", e.g. SPINOCI_CACHE_MAX_SIZE=1).
	Env []string
	// ShimDirs are put on the daemon's PATH after the shim's own
	// directory: more shim binaries (containerd-shim-<name>-v1) it finds.
	ShimDirs []string
}

// SharedModuleCacheDir is a compiled-module cache directory for every test
// daemon (and test process) of the machine: compiling a 12 MB JavaScript
// component takes tens of seconds, more than ctr waits. Entries are keyed by
// the wasm's sha256 and the engine configuration, so sharing is safe.
func SharedModuleCacheDir() string {
	return filepath.Join(os.TempDir(), "spinoci-component-cache")
}

// StartContainerdWith is StartContainerd with options.
func StartContainerdWith(t T, version string, opts ContainerdOptions) *Containerd {
	t.Helper()
	paths := LoadPaths()
	bin, ctr := paths.Containerd(version)
	for _, f := range []string{bin, ctr} {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("containerd %s missing (%v): run `make tools`", version, err)
		}
	}
	// Everything under one short directory: socket_dir must be at most 42
	// characters and unix socket paths at most 108 bytes.
	dir := TempDir(t, "sc")
	d := &Containerd{
		Version:   version,
		Dir:       dir,
		Root:      filepath.Join(dir, "root"),
		State:     filepath.Join(dir, "state"),
		Address:   filepath.Join(dir, "c.sock"),
		SocketDir: filepath.Join(dir, "s"),
		Config:    filepath.Join(dir, "config.toml"),
		Log:       filepath.Join(dir, "containerd.log"),
		Namespace: DefaultNamespace,
		t:         t,
		owner:     t,
		ctr:       ctr,
		stopOnce:  new(sync.Once),
		opts:      opts,
	}
	if len(d.SocketDir) > 42 {
		t.Fatalf("socket_dir %s is longer than 42 characters", d.SocketDir)
	}
	config := d.config(filepath.Join(dir, "opt"))
	if opts.CRI != nil {
		config = d.criConfig(config)
	}
	if err := os.WriteFile(d.Config, []byte(config), 0o644); err != nil {
		t.Fatalf("containerd config: %v", err)
	}
	// The shim is found through the daemon's PATH, its own bin/ first: a copy
	// of the shim taken now, so that rebuilding bin/ while tests run cannot
	// swap the binary under a running daemon. The runc shim (benchmark) sits
	// next to containerd.
	shimDir := filepath.Join(dir, "bin")
	if _, err := os.Stat(paths.Shim); err != nil {
		t.Logf("no shim binary (%v): containerd starts without it", err)
	} else if err := copyExecutable(paths.Shim, filepath.Join(shimDir, ShimBinary)); err != nil {
		t.Fatalf("copy the shim: %v", err)
	} else {
		// The server and app binaries the shim runs, which sit next to it.
		for _, suffix := range []string{"-server", "-app"} {
			if bin := paths.Shim + suffix; fileExists(bin) {
				if err := copyExecutable(bin, filepath.Join(shimDir, ShimBinary+suffix)); err != nil {
					t.Fatalf("copy the shim's %s binary: %v", suffix, err)
				}
			}
		}
	}
	path := strings.Join(append(append([]string{shimDir}, opts.ShimDirs...), filepath.Dir(bin), os.Getenv("PATH")), ":")
	env := envWith("PATH=" + path)
	if opts.ModuleCacheDir != "" {
		env = envWith("PATH="+path, "SPINOCI_CACHE_DIR="+opts.ModuleCacheDir)
	}
	env = append(env, opts.Env...)
	d.bin, d.env = bin, env
	proc, err := d.startDaemon()
	if err != nil {
		t.Fatalf("%v", err)
	}
	d.proc = proc
	t.Cleanup(d.Stop)
	if err := d.waitReady(30 * time.Second); err != nil {
		t.Fatalf("containerd %s: %v\ncontainerd log (tail):\n%s", version, err, proc.logTail(80))
	}
	t.Logf("containerd %s on %s (root %s)", version, d.Address, d.Root)
	return d
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// config is the daemon's configuration: version 3, or version 2 with its
// plugin names for containerd 1.7, which also has no shim socket_dir (its
// shims put their sockets in /run/containerd/s, named after the daemon's
// socket, so test daemons do not collide).
func (d *Containerd) config(optDir string) string {
	version, quote := 3, "'"
	if UsesConfigVersion2(d.Version) {
		version, quote = 2, `"`
	}
	plugin := func(id string) string { return quote + id + quote }
	config := fmt.Sprintf(`version = %d
root = %q
state = %q
imports = []
# No CRI for now; NRI would listen on a fixed system-wide socket.
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.nri.v1.nri"]

[grpc]
  address = %q

[plugins.%s]
  path = %q

[[plugins.%s.unpack_config]]
  platform = "linux/amd64"
  snapshotter = "native"
`, version, d.Root, d.State, d.Address, plugin("io.containerd.internal.v1.opt"), optDir, plugin("io.containerd.transfer.v1.local"))
	if version == 2 {
		return config
	}
	return config + fmt.Sprintf(`
[plugins.'io.containerd.shim.v1.manager']
  socket_dir = %q

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "native"
`, d.SocketDir)
}

func (d *Containerd) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if d.proc.exited() {
			return fmt.Errorf("exited: %v", d.proc.waitErr)
		}
		if c, err := net.Dial("unix", d.Address); err == nil {
			c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			out, code := d.CtrQuiet(ctx, "version")
			cancel()
			if code == 0 {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("ctr version: %s", out)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("socket %s not answering after %v", d.Address, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the daemon (SIGTERM, then SIGKILL after 10 s), then waits up to
// 5 s for every shim (and app process) it started to be gone, or up to
// lingeringShimWait more when what is left are shims finishing an optimising
// compile stage, or serverExitWait more when only shim servers are left (a
// stage that ended just then leaves its server shutting down): one still
// alive then is a leak, which fails t and is killed.
// It is idempotent and runs as a cleanup of StartContainerd's t.
func (d *Containerd) Stop() {
	t := d.owner
	d.stopOnce.Do(func() {
		if d.proc.exited() {
			t.Errorf("containerd %s had exited by itself: %v", d.Version, d.proc.waitErr)
		} else if killed := d.proc.stop(10 * time.Second); killed {
			t.Errorf("containerd %s did not stop within 10s of SIGTERM; killed", d.Version)
		}
		wait := 5 * time.Second
		left := d.waitProcsGone(wait, d.Procs)
		switch {
		case onlyLingering(left):
			wait += lingeringShimWait
			left = d.waitProcsGone(lingeringShimWait, d.Procs)
		case onlyServers(left):
			wait += serverExitWait
			left = d.waitProcsGone(serverExitWait, d.Procs)
		}
		if len(left) > 0 {
			var lines []string
			for _, p := range left {
				lines = append(lines, "  "+p.String())
			}
			t.Errorf("containerd %s: processes outlived the daemon stop by more than %v (killed now):\n%s",
				d.Version, wait, strings.Join(lines, "\n"))
			killProcs(left)
		}
		if t.Failed() {
			t.Logf("containerd %s log (tail of %s):\n%s", d.Version, d.Log, d.proc.logTail(300))
		}
	})
}

// For returns a view of the daemon whose commands log to t (a subtest);
// the daemon itself still belongs to the T that started it.
func (d *Containerd) For(t T) *Containerd {
	c := *d
	c.t = t
	return &c
}

// Procs lists the live processes belonging to this daemon other than the
// daemon itself: shims (they carry its socket path in their arguments and
// environment), their children (working directory under Dir), and ctr
// clients.
func (d *Containerd) Procs() []Proc {
	daemonPID := -1
	if d.proc != nil && !d.proc.exited() {
		daemonPID = d.proc.cmd.Process.Pid
	}
	return FindProcs(func(p Proc) bool {
		if p.PID == daemonPID {
			return false
		}
		return p.mentions(d.Address) || cwdUnder(p.PID, d.Dir)
	})
}

// TaskProcs lists the live processes of container id: its shim (started with
// `-id <id>`) and any process working in its bundle.
func (d *Containerd) TaskProcs(id string) []Proc {
	bundle := d.Bundle(id)
	return FindProcs(func(p Proc) bool {
		if p.hasFlag("-id", id) && p.mentions(d.Address) {
			return true
		}
		return cwdUnder(p.PID, bundle)
	})
}

func cwdUnder(pid int, dir string) bool {
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		return false
	}
	return cwd == dir || strings.HasPrefix(cwd, dir+"/")
}

func (d *Containerd) waitProcsGone(timeout time.Duration, list func() []Proc) []Proc {
	deadline := time.Now().Add(timeout)
	for {
		left := list()
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Bundle is the task bundle directory of container id.
func (d *Containerd) Bundle(id string) string {
	return filepath.Join(d.State, "io.containerd.runtime.v2.task", d.Namespace, id)
}

// AppDir is where the shim materialises container id's app.
func (d *Containerd) AppDir(id string) string {
	return filepath.Join(d.Root, RuntimeType, "apps", d.Namespace, id)
}

// BlobPath is the file of a blob in the daemon's content store.
func (d *Containerd) BlobPath(dg digest.Digest) string {
	return filepath.Join(d.Root, "io.containerd.content.v1.content", "blobs", dg.Algorithm().String(), dg.Encoded())
}

// Ctr runs `ctr -a <socket> -n <namespace> args...` with the native
// snapshotter, logging the command and its output, with a 2-minute limit.
func (d *Containerd) Ctr(args ...string) (string, int) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return d.CtrContext(ctx, args...)
}

// CtrContext is Ctr with a caller-supplied context.
func (d *Containerd) CtrContext(ctx context.Context, args ...string) (string, int) {
	d.t.Helper()
	if d.quiet {
		return d.CtrQuiet(ctx, args...)
	}
	d.t.Logf("$ ctr %s", strings.Join(args, " "))
	out, code := d.CtrQuiet(ctx, args...)
	if s := strings.TrimRight(withoutNoise(out), "\n"); s != "" {
		d.t.Logf("%s", indent(truncate(s, 4000)))
	}
	if code != 0 {
		d.t.Logf("  (exit %d)", code)
	}
	return out, code
}

// CtrQuiet is CtrContext without logging.
func (d *Containerd) CtrQuiet(ctx context.Context, args ...string) (string, int) {
	cmd := d.CtrCommand(ctx, args...)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	return buf.String(), exitCode(err)
}

// CtrCommand prepares a ctr command (for commands that run in the
// background, such as a foreground `ctr run`) without starting it.
func (d *Containerd) CtrCommand(ctx context.Context, args ...string) *exec.Cmd {
	full := append([]string{"-a", d.Address, "-n", d.Namespace}, args...)
	cmd := exec.CommandContext(ctx, d.ctr, full...)
	cmd.Env = envWith("CONTAINERD_SNAPSHOTTER=native", "CONTAINERD_ADDRESS="+d.Address, "CONTAINERD_NAMESPACE="+d.Namespace)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// Pull runs `ctr image pull --plain-http ref`, logging only a summary (the
// progress output is long), and fails t if the pull fails.
func (d *Containerd) Pull(ref string) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	out, code := d.CtrQuiet(ctx, "image", "pull", "--plain-http", ref)
	if code != 0 {
		d.t.Fatalf("$ ctr image pull --plain-http %s: exit %d\n%s", ref, code, out)
	}
	d.t.Logf("$ ctr image pull --plain-http %s  (ok, %v)", ref, time.Since(start).Round(time.Millisecond))
}

// withoutNoise drops the warning every ctr command prints on cgroup v1 hosts.
func withoutNoise(out string) string {
	lines := strings.SplitAfter(out, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if !strings.Contains(l, "support for cgroup v1 is deprecated") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "")
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("... (%d more bytes)", len(s)-n)
}
