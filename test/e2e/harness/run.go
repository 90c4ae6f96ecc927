package harness

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// ListenAddrEnv is the variable a Spin HTTP app's listen address goes in.
const ListenAddrEnv = "SPIN_HTTP_LISTEN_ADDR"

// RunOptions say how RunDetached starts an app. The zero value runs a Spin
// HTTP app with the shim on a free loopback port and waits up to 60 s for a
// 200 on /.
type RunOptions struct {
	Runtime   string        // the runtime type; RuntimeType when empty
	ListenEnv string        // the variable the listen address goes in; ListenAddrEnv when empty
	Addr      string        // the listen address; a free port on 127.0.0.1 when empty
	LogPath   string        // where the app's output goes (--log-uri); shown when it does not serve
	Flags     []string      // more ctr run flags: mounts, --env, --annotation …
	Probe     string        // the path waited for a 200; "/" when empty
	Timeout   time.Duration // how long to wait for that 200; 60 s when zero
}

// RunDetached runs ref as container id with `ctr run -d` on the host's
// network, the app listening on a loopback address, and waits for its first
// 200. It returns that address and ctr's output. It fails d's T when ctr fails
// or the app does not serve in time; a cleanup of d's T removes the container
// if it is still there.
func (d *Containerd) RunDetached(ctx context.Context, ref, id string, opts RunOptions) (addr, out string) {
	d.t.Helper()
	addr = opts.Addr
	if addr == "" {
		addr = fmt.Sprintf("127.0.0.1:%d", FreePort(d.t))
	}
	runtime, listenEnv, probe, timeout := opts.Runtime, opts.ListenEnv, opts.Probe, opts.Timeout
	if runtime == "" {
		runtime = RuntimeType
	}
	if listenEnv == "" {
		listenEnv = ListenAddrEnv
	}
	if probe == "" {
		probe = "/"
	}
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	args := []string{"run", "-d"}
	if opts.LogPath != "" {
		args = append(args, "--log-uri", "file://"+opts.LogPath)
	}
	args = append(args, "--net-host", "--runtime", runtime, "--env", listenEnv+"="+addr)
	args = append(append(args, opts.Flags...), ref, id)

	t := d.t
	t.Cleanup(func() { d.RemoveContainer(id) })
	runCtx, cancel := context.WithTimeout(ctx, max(2*time.Minute, timeout))
	defer cancel()
	out, code := d.CtrContext(runCtx, args...)
	if code != 0 {
		t.Fatalf("ctr %s: exit %d\n%s%s", strings.Join(args, " "), code, out, appLog(opts.LogPath))
	}
	if _, err := WaitHTTP(ctx, "http://"+addr+probe, timeout); err != nil {
		t.Fatalf("container %s: %v%s", id, err, appLog(opts.LogPath))
	}
	return addr, out
}

// appLog is the app's output at path for a failure message ("" without one).
func appLog(path string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("\napp log: %v", err)
	}
	return "\napp log:\n" + string(b)
}

// Quiet returns a view of the daemon whose Ctr commands do not log (a
// benchmark's many starts would bury its results).
func (d *Containerd) Quiet() *Containerd {
	c := *d
	c.quiet = true
	return &c
}

// RemoveContainer removes whatever is left of container id: its task
// (forced) and the container; it runs no command when there is nothing.
func (d *Containerd) RemoveContainer(id string) {
	if d.TaskStatus(id) != "" {
		d.Ctr("task", "rm", "-f", id)
	}
	if d.ContainerExists(id) {
		d.Ctr("container", "rm", id)
	}
}
