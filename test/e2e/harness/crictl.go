package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Crictl drives a daemon's CRI plugin with the pinned crictl.
type Crictl struct {
	t      T
	bin    string
	config string
}

// Crictl returns a crictl client for the daemon (which must have been
// started with CRIOptions). Its commands log to the daemon view's T.
func (d *Containerd) Crictl() *Crictl {
	d.t.Helper()
	bin := LoadPaths().Crictl()
	if _, err := os.Stat(bin); err != nil {
		d.t.Fatalf("crictl %s missing (%v): run `make tools`", CrictlVersion, err)
	}
	config := filepath.Join(d.Dir, "crictl.yaml")
	endpoint := "unix://" + d.Address
	content := fmt.Sprintf("runtime-endpoint: %s\nimage-endpoint: %s\ntimeout: 60\n", endpoint, endpoint)
	if err := os.WriteFile(config, []byte(content), 0o644); err != nil {
		d.t.Fatalf("crictl config: %v", err)
	}
	return &Crictl{t: d.t, bin: bin, config: config}
}

// Run runs `crictl args...` (2-minute limit), logging the command and its
// output, and returns the output (stdout, then stderr) and exit code.
func (c *Crictl) Run(args ...string) (string, int) {
	c.t.Helper()
	stdout, stderr, code := c.run(true, args...)
	return stdout + stderr, code
}

// Quiet is Run without logging.
func (c *Crictl) Quiet(args ...string) (string, int) {
	stdout, stderr, code := c.run(false, args...)
	return stdout + stderr, code
}

func (c *Crictl) run(logged bool, args ...string) (string, string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append([]string{"--config", c.config}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	code := exitCode(cmd.Run())
	if logged {
		c.t.Logf("$ crictl %s", strings.Join(args, " "))
		if s := strings.TrimRight(withoutNoise(stdout.String()+stderr.String()), "\n"); s != "" {
			c.t.Logf("%s", indent(truncate(s, 4000)))
		}
		if code != 0 {
			c.t.Logf("  (exit %d)", code)
		}
	}
	return stdout.String(), stderr.String(), code
}

// Must runs crictl and fails t unless it exits 0; it returns its stdout
// with surrounding space trimmed (crictl warns on stderr).
func (c *Crictl) Must(args ...string) string {
	c.t.Helper()
	stdout, stderr, code := c.run(true, args...)
	if code != 0 {
		c.t.Fatalf("crictl %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
	}
	return strings.TrimSpace(stdout)
}

// JSON runs crictl with args (which must ask for JSON output) quietly and
// decodes the result into v.
func (c *Crictl) JSON(v any, args ...string) error {
	out, stderr, code := c.run(false, args...)
	if code != 0 {
		return fmt.Errorf("crictl %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
	}
	// Warnings may precede the document.
	if i := strings.IndexByte(out, '{'); i > 0 {
		out = out[i:]
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		return fmt.Errorf("crictl %s: decoding %q: %w", strings.Join(args, " "), truncate(out, 400), err)
	}
	return nil
}

// PodConfig is a pod sandbox configuration for `crictl runp`.
type PodConfig struct {
	Name         string
	UID          string
	LogDir       string
	HostNetwork  bool
	CgroupParent string // cgroupfs path or a systemd slice ("….slice")
	// SecurityContext adds to linux.security_context (CRI's
	// LinuxSandboxSecurityContext, e.g. run_as_user, seccomp).
	SecurityContext map[string]any
	// Annotations are the pod's; CRI passes those the runtime names in
	// pod_annotations on to the specs of its sandbox and containers.
	Annotations map[string]string
	// Handler is the runtime handler (`crictl runp --runtime`), not part
	// of the file; "" means RuntimeHandler.
	Handler string
}

// WriteFile writes the configuration as JSON under dir and returns its path.
func (p PodConfig) WriteFile(t T, dir string) string {
	t.Helper()
	network := 0 // POD: its own network namespace, wired by CNI
	if p.HostNetwork {
		network = 2 // NODE
	}
	security := map[string]any{"namespace_options": map[string]any{"network": network}}
	maps.Copy(security, p.SecurityContext)
	linux := map[string]any{"security_context": security}
	if p.CgroupParent != "" {
		linux["cgroup_parent"] = p.CgroupParent
	}
	return writeJSON(t, filepath.Join(dir, "pod-"+p.Name+".json"), map[string]any{
		"metadata":      map[string]any{"name": p.Name, "namespace": "default", "uid": p.UID, "attempt": 1},
		"hostname":      p.Name,
		"log_directory": p.LogDir,
		"linux":         linux,
		"annotations":   p.Annotations,
	})
}

// ContainerConfig is a container configuration for `crictl create`.
type ContainerConfig struct {
	Name        string
	Attempt     int
	Image       string
	Env         map[string]string
	LogPath     string // relative to the pod's log directory
	MemoryLimit int64  // bytes; 0 for none
	CPUQuota    int64  // microseconds per CPUPeriod; 0 for none
	CPUPeriod   int64  // microseconds
	// OOMScoreAdj is linux.resources.oom_score_adj, which kubelet sets by
	// the pod's QoS class; 0 for none.
	OOMScoreAdj int
	// SecurityContext is linux.security_context as CRI's JSON spells it
	// (run_as_user, capabilities, seccomp, no_new_privs, …); nil for none.
	SecurityContext map[string]any
	// Mounts are the container's volumes, as kubelet passes them.
	Mounts []CRIMount
}

// CRIMount is a volume of a container: a host file or directory at a path
// in the container.
type CRIMount struct {
	HostPath, ContainerPath string
	ReadOnly                bool
}

// WriteFile writes the configuration as JSON under dir and returns its path.
// The command is "/": CRI requires one, the shim ignores it.
func (c ContainerConfig) WriteFile(t T, dir string) string {
	t.Helper()
	var envs []map[string]string
	for k, v := range c.Env {
		envs = append(envs, map[string]string{"key": k, "value": v})
	}
	resources := map[string]any{}
	if c.MemoryLimit > 0 {
		resources["memory_limit_in_bytes"] = c.MemoryLimit
	}
	if c.OOMScoreAdj != 0 {
		resources["oom_score_adj"] = c.OOMScoreAdj
	}
	if c.CPUQuota > 0 {
		resources["cpu_quota"] = c.CPUQuota
		resources["cpu_period"] = c.CPUPeriod
	}
	linux := map[string]any{}
	if len(resources) > 0 {
		linux["resources"] = resources
	}
	if c.SecurityContext != nil {
		linux["security_context"] = c.SecurityContext
	}
	mounts := []map[string]any{}
	for _, m := range c.Mounts {
		mounts = append(mounts, map[string]any{"host_path": m.HostPath, "container_path": m.ContainerPath, "readonly": m.ReadOnly})
	}
	return writeJSON(t, filepath.Join(dir, fmt.Sprintf("ctr-%s-%d.json", c.Name, c.Attempt)), map[string]any{
		"metadata": map[string]any{"name": c.Name, "attempt": c.Attempt},
		"image":    map[string]any{"image": c.Image},
		"command":  []string{"/"},
		"envs":     envs,
		"log_path": c.LogPath,
		"linux":    linux,
		"mounts":   mounts,
	})
}

func writeJSON(t T, path string, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("encoding %s: %v", path, err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
	return path
}

// ContainerStatus is the part of `crictl inspect -o json` the tests read.
type ContainerStatus struct {
	Status struct {
		ID       string `json:"id"`
		State    string `json:"state"` // CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_EXITED
		ExitCode int    `json:"exitCode"`
		Reason   string `json:"reason"`
		Message  string `json:"message"`
		LogPath  string `json:"logPath"`
	} `json:"status"`
	Info struct {
		Pid int `json:"pid"`
	} `json:"info"`
}

// Inspect returns a container's status.
func (c *Crictl) Inspect(id string) (ContainerStatus, error) {
	var st ContainerStatus
	return st, c.JSON(&st, "inspect", "-o", "json", id)
}

// PodStatus is the part of `crictl inspectp -o json` the tests read.
type PodStatus struct {
	Status struct {
		ID      string `json:"id"`
		State   string `json:"state"` // SANDBOX_READY, SANDBOX_NOTREADY
		Network struct {
			IP string `json:"ip"`
		} `json:"network"`
	} `json:"status"`
	Info struct {
		Pid int `json:"pid"`
	} `json:"info"`
}

// InspectPod returns a pod's status.
func (c *Crictl) InspectPod(id string) (PodStatus, error) {
	var st PodStatus
	return st, c.JSON(&st, "inspectp", "-o", "json", id)
}

// WaitState polls a container until it is in state (e.g. CONTAINER_EXITED).
func (c *Crictl) WaitState(id, state string, timeout time.Duration) (ContainerStatus, error) {
	deadline := time.Now().Add(timeout)
	for {
		st, err := c.Inspect(id)
		if err == nil && st.Status.State == state {
			return st, nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return st, err
			}
			return st, fmt.Errorf("container %s is %s, want %s after %v", id, st.Status.State, state, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
