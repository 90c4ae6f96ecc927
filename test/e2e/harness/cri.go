package harness

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// CRI settings of the test daemons.
const (
	// CRINamespace is the containerd namespace CRI keeps its images and
	// containers in.
	CRINamespace = "k8s.io"
	// RuntimeHandler is the CRI runtime handler (RuntimeClass handler)
	// mapped to the shim.
	RuntimeHandler = "spinoci"
	// SharedRuntimeHandler is a second handler of the shim whose runtime
	// options put its pods into the shim server group SharedRuntimeGroup.
	SharedRuntimeHandler = "spinoci-shared"
	SharedRuntimeGroup   = "node"
	// CrictlVersion is the pinned crictl, built by `make tools`.
	CrictlVersion = "1.37.0"
	// CNIPluginDir is where Debian's containernetworking-plugins installs
	// the bridge, host-local and loopback plugins.
	CNIPluginDir = "/usr/lib/cni"
	// AppResourceGo is the test app with slow (/sleep?ms=N) and
	// memory-hungry (/alloc?mb=N) requests.
	AppResourceGo = "resource-go.wasm"
)

// CRIOptions enables and configures the CRI plugin of a test daemon.
type CRIOptions struct {
	// SandboxImage is pinned as the sandbox image. The shim never runs it,
	// but CRI insists it is present: pull it into CRINamespace.
	SandboxImage string
	// CNIConfDir holds the CNI network configuration; empty means a
	// directory under the daemon's, with no network (hostNetwork pods only).
	CNIConfDir string
	// CNIBinDirs are searched for CNI plugins; empty means CNIPluginDir.
	CNIBinDirs []string
}

// Crictl returns the pinned crictl binary.
func (p Paths) Crictl() string {
	return filepath.Join(p.ToolsDir, "crictl-v"+CrictlVersion, "crictl")
}

// criConfig enables CRI in a daemon configuration made by config: the
// runtime handler RuntimeHandler runs the daemon's copy of the shim,
// network namespaces are kept under the daemon's state directory, CNI
// reads only the test's configuration.
func (d *Containerd) criConfig(base string) string {
	const disabled = `disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.nri.v1.nri"]`
	if !strings.Contains(base, disabled) {
		panic("harness: containerd config has no disabled_plugins line to enable CRI in")
	}
	base = strings.Replace(base, disabled, `disabled_plugins = ["io.containerd.nri.v1.nri"]`, 1)
	opts := d.opts.CRI
	confDir := opts.CNIConfDir
	if confDir == "" {
		confDir = filepath.Join(d.Dir, "cni")
	}
	binDirs := opts.CNIBinDirs
	if len(binDirs) == 0 {
		binDirs = []string{CNIPluginDir}
	}
	quoted := make([]string, len(binDirs))
	for i, b := range binDirs {
		quoted[i] = fmt.Sprintf("%q", b)
	}
	if UsesConfigVersion2(d.Version) {
		if len(binDirs) > 1 {
			panic("harness: containerd 1.7 takes one CNI bin_dir")
		}
		return base + d.criSectionsV2(confDir, binDirs)
	}
	return base + fmt.Sprintf(`
[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = %q

[plugins.'io.containerd.cri.v1.runtime']
  netns_mounts_under_state_dir = true

[plugins.'io.containerd.cri.v1.runtime'.cni]
  bin_dirs = [%s]
  conf_dir = %q

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.%s]
  runtime_type = %q
  runtime_path = %q
  pod_annotations = [%q]

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.%s]
  runtime_type = %q
  runtime_path = %q
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.%s.options]
    Group = %q

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`, opts.SandboxImage, strings.Join(quoted, ", "), confDir, RuntimeHandler, RuntimeType,
		filepath.Join(d.Dir, "bin", ShimBinary), GroupAnnotation,
		SharedRuntimeHandler, RuntimeType, filepath.Join(d.Dir, "bin", ShimBinary), SharedRuntimeHandler, SharedRuntimeGroup)
}

// InNamespace is a view of the daemon whose ctr commands (and AppDir,
// Bundle, Leftovers) use namespace ns, e.g. CRINamespace.
func (d *Containerd) InNamespace(ns string) *Containerd {
	c := *d
	c.Namespace = ns
	return &c
}

// BridgeNetwork is a CNI bridge network private to a test: pods get
// host-local addresses from Subnet (leases kept under DataDir) on a bridge
// that the test creates with the Gateway address, so the host reaches pod
// IPs directly. The plugin is told not to act as a gateway and not to
// masquerade, so it changes nothing host-wide (no forwarding, no iptables).
type BridgeNetwork struct {
	Name    string // network name
	Bridge  string // bridge interface, at most 15 characters
	Subnet  string // e.g. 198.18.4.0/24 (a benchmarking range, unused elsewhere)
	Gateway string // e.g. 198.18.4.1, the bridge's address
	DataDir string // host-local lease directory
}

// CreateBridge creates the bridge with the gateway address and brings it
// up; t's cleanup deletes it (which also removes the pods' veth ends left).
func (n BridgeNetwork) CreateBridge(t T) {
	t.Helper()
	_, subnet, err := net.ParseCIDR(n.Subnet)
	if err != nil {
		t.Fatalf("bridge network %s: %v", n.Name, err)
	}
	ones, _ := subnet.Mask.Size()
	for _, args := range [][]string{
		{"link", "add", n.Bridge, "type", "bridge"},
		{"addr", "add", fmt.Sprintf("%s/%d", n.Gateway, ones), "dev", n.Bridge},
		{"link", "set", n.Bridge, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			_ = exec.Command("ip", "link", "del", n.Bridge).Run()
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if args[1] == "add" && args[0] == "link" {
			t.Cleanup(func() {
				if out, err := exec.Command("ip", "link", "del", n.Bridge).CombinedOutput(); err != nil {
					t.Errorf("ip link del %s: %v\n%s", n.Bridge, err, out)
				}
			})
		}
	}
}

// WriteConf writes the network's configuration list into confDir.
func (n BridgeNetwork) WriteConf(confDir string) error {
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       n.Name,
		"plugins": []any{
			map[string]any{
				"type":      "bridge",
				"bridge":    n.Bridge,
				"isGateway": false,
				"ipMasq":    false,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  [][]map[string]string{{{"subnet": n.Subnet, "gateway": n.Gateway}}},
					"dataDir": n.DataDir,
				},
			},
		},
	}
	b, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(confDir, "10-"+n.Name+".conflist"), b, 0o644)
}
