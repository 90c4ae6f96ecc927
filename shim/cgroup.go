package shim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	"github.com/containerd/log"
	"github.com/containerd/typeurl/v2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/types/known/anypb"
)

// unifiedMountpoint is where the cgroup v2 hierarchy is mounted.
const unifiedMountpoint = "/sys/fs/cgroup"

// taskCgroup is the cgroup a task's process runs in: the spec's
// linux.cgroupsPath, created by the shim with the spec's memory, CPU and
// pids limits (device rules, block I/O, hugepages and the rest are not
// applied: a Spin app opens no devices and its files are the shim's).
// cgroup v2 is used on unified hosts, v1 otherwise (legacy and hybrid).
type taskCgroup struct {
	path string // in the hierarchy, e.g. /kubepods/burstable/pod1/c1
	v1   cgroup1.Cgroup
	v2   *cgroup2.Manager

	mu sync.Mutex
	// stages are the optimising compile stages started in the cgroup
	// (startStage), which may outlive the task; guarded by mu.
	stages map[int]struct{}
}

// cgroupfsPath maps a spec's cgroupsPath to its place in the cgroupfs
// hierarchy. Systemd-style "slice:prefix:name" paths (CRI with a pod cgroup
// parent ending in .slice) map to where systemd would put the scope, e.g.
// kubepods-besteffort-pod1.slice:cri-containerd:c1 →
// /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-c1.scope.
// The shim writes there itself; it does not ask systemd for a unit.
func cgroupfsPath(specPath string) (string, error) {
	if specPath == "" {
		return "", nil
	}
	if parts := strings.Split(specPath, ":"); len(parts) == 3 && !strings.HasPrefix(specPath, "/") {
		slice, prefix, name := parts[0], parts[1], parts[2]
		if slice == "" {
			slice = "system.slice"
		}
		dir, err := expandSlice(slice)
		if err != nil {
			return "", fmt.Errorf("cgroups path %q: %w", specPath, err)
		}
		if name == "" {
			return "", fmt.Errorf("cgroups path %q: empty unit name", specPath)
		}
		unit := name
		if !strings.HasSuffix(name, ".slice") {
			if prefix != "" {
				unit = prefix + "-" + name
			}
			unit += ".scope"
		}
		return filepath.Join(dir, unit), nil
	}
	if strings.Contains(specPath, ":") {
		return "", fmt.Errorf("cgroups path %q: neither a cgroupfs path nor slice:prefix:name", specPath)
	}
	clean := filepath.Clean("/" + specPath)
	if clean == "/" {
		return "", fmt.Errorf("cgroups path %q is the root cgroup", specPath)
	}
	return clean, nil
}

// expandSlice turns a systemd slice name into its cgroupfs path: every
// dash-separated prefix is a parent slice ("a-b.slice" is inside "a.slice").
func expandSlice(slice string) (string, error) {
	const suffix = ".slice"
	name, ok := strings.CutSuffix(slice, suffix)
	if !ok || name == "" || strings.Contains(slice, "/") {
		return "", fmt.Errorf("invalid slice name %q", slice)
	}
	if name == "-" {
		return "/", nil
	}
	var path, prefix strings.Builder
	for _, component := range strings.Split(name, "-") {
		if component == "" {
			return "", fmt.Errorf("invalid slice name %q", slice)
		}
		path.WriteString("/" + prefix.String() + component + suffix)
		prefix.WriteString(component + "-")
	}
	return path.String(), nil
}

// appliedResources keeps the parts of linux.resources the shim enforces.
func appliedResources(r *specs.LinuxResources) *specs.LinuxResources {
	if r == nil {
		return &specs.LinuxResources{}
	}
	return &specs.LinuxResources{Memory: r.Memory, CPU: r.CPU, Pids: r.Pids}
}

func unified() bool { return cgroups.Mode() == cgroups.Unified }

// newTaskCgroup creates the cgroup at path (a cgroupfs path) and applies
// the resources.
func newTaskCgroup(path string, resources *specs.LinuxResources) (*taskCgroup, error) {
	res := appliedResources(resources)
	c := &taskCgroup{path: path}
	var err error
	if unified() {
		c.v2, err = cgroup2.NewManager(unifiedMountpoint, path, cgroup2.ToResources(res))
	} else {
		c.v1, err = cgroup1.New(cgroup1.StaticPath(path), res)
	}
	if err != nil {
		return nil, fmt.Errorf("creating cgroup %s: %w", path, err)
	}
	return c, nil
}

// loadTaskCgroup opens an existing cgroup (for the delete action); a
// cgroup that is already gone is not an error: it returns nil.
func loadTaskCgroup(path string) (*taskCgroup, error) {
	c := &taskCgroup{path: path}
	if unified() {
		if _, err := os.Stat(filepath.Join(unifiedMountpoint, path)); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		m, err := cgroup2.Load(path)
		if err != nil {
			return nil, fmt.Errorf("loading cgroup %s: %w", path, err)
		}
		c.v2 = m
		return c, nil
	}
	cg, err := cgroup1.Load(cgroup1.StaticPath(path))
	if errors.Is(err, cgroup1.ErrCgroupDeleted) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("loading cgroup %s: %w", path, err)
	}
	c.v1 = cg
	return c, nil
}

// pidCgroup is the cgroup pid lives in (on v1, in every hierarchy), for
// its metrics and to add processes to it; its path names it in messages
// only.
func pidCgroup(pid int) (*taskCgroup, error) {
	c := &taskCgroup{path: fmt.Sprintf("of pid %d", pid)}
	if unified() {
		path, err := cgroup2.PidGroupPath(pid)
		if err != nil {
			return nil, fmt.Errorf("finding the cgroup of pid %d: %w", pid, err)
		}
		if c.v2, err = cgroup2.Load(path); err != nil {
			return nil, fmt.Errorf("loading cgroup %s: %w", path, err)
		}
		c.path = path
		return c, nil
	}
	var err error
	if c.v1, err = cgroup1.Load(cgroup1.PidPath(pid)); err != nil {
		return nil, fmt.Errorf("loading the cgroup of pid %d: %w", pid, err)
	}
	return c, nil
}

// dir opens the cgroup v2 directory, for SysProcAttr.CgroupFD: the child
// starts in the cgroup, so all its memory is charged to it. It returns nil
// on v1, where the child moves itself in (v1TasksFiles).
func (c *taskCgroup) dir() (*os.File, error) {
	if c == nil || c.v2 == nil {
		return nil, nil
	}
	f, err := os.Open(filepath.Join(unifiedMountpoint, c.path))
	if err != nil {
		return nil, fmt.Errorf("opening cgroup %s: %w", c.path, err)
	}
	return f, nil
}

// v1TasksFiles opens the "tasks" file of each of the cgroup's v1
// hierarchies for writing, for a child to move itself in before its Go
// runtime starts (appproto.EnvCgroupTasksFDs): one thread moving itself
// does not wait for an RCU grace period as a write of its pid to
// cgroup.procs does, for 5–15 ms on a VM, on every start. It returns nil on
// v2 (dir) and without a cgroup.
func (c *taskCgroup) v1TasksFiles() (_ []*os.File, retErr error) {
	if c == nil || c.v1 == nil {
		return nil, nil
	}
	var files []*os.File
	defer func() {
		if retErr != nil {
			closeFiles(files)
		}
	}()
	seen := map[string]bool{} // co-mounted controllers share a hierarchy
	for _, s := range c.v1.Subsystems() {
		dir, ok := c.v1Dir(s)
		if !ok {
			continue
		}
		path := filepath.Join(dir, "tasks")
		if seen[path] {
			continue
		}
		seen[path] = true
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("opening cgroup %s (%s): %w", c.path, s.Name(), err)
		}
		files = append(files, f)
	}
	return files, nil
}

// closeFiles closes each of files.
func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// addProcess moves pid (all its threads) into the cgroup.
func (c *taskCgroup) addProcess(pid int) error {
	if c == nil {
		return nil
	}
	var err error
	if c.v2 != nil {
		err = c.v2.AddProc(uint64(pid))
	} else {
		err = c.v1.Add(cgroup1.Process{Pid: pid})
	}
	if err != nil {
		return fmt.Errorf("adding pid %d to cgroup %s: %w", pid, c.path, err)
	}
	return nil
}

// metrics returns the cgroup's metrics in the v1 or v2 types that CRI and
// `ctr task metrics` decode.
func (c *taskCgroup) metrics() (*anypb.Any, error) {
	var (
		m   any
		err error
	)
	if c.v2 != nil {
		m, err = c.v2.Stat()
	} else {
		m, err = c.v1.Stat(cgroup1.IgnoreNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("reading cgroup %s: %w", c.path, err)
	}
	data, err := typeurl.MarshalAny(m)
	if err != nil {
		return nil, err
	}
	return typeurl.MarshalProto(data), nil
}

// memoryDir is the directory of the cgroup's memory controller.
func (c *taskCgroup) memoryDir() (string, error) {
	if c.v2 != nil {
		return filepath.Join(unifiedMountpoint, c.path), nil
	}
	for _, s := range c.v1.Subsystems() {
		if dir, ok := c.v1Dir(s); ok && s.Name() == cgroup1.Memory {
			return dir, nil
		}
	}
	return "", fmt.Errorf("cgroup %s: no memory controller", c.path)
}

// v1Dir is the cgroup's directory in the hierarchy of v1 subsystem s
// (false: s has no directory of its own).
func (c *taskCgroup) v1Dir(s cgroup1.Subsystem) (string, bool) {
	p, ok := s.(interface{ Path(string) string })
	if !ok {
		return "", false
	}
	return p.Path(c.path), true
}

// oomKills reads how many processes the kernel's OOM killer has killed in
// the cgroup (oom_kill in memory.events on v2, in memory.oom_control on v1).
func (c *taskCgroup) oomKills() (uint64, error) {
	dir, err := c.memoryDir()
	if err != nil {
		return 0, err
	}
	file := "memory.oom_control"
	if c.v2 != nil {
		file = "memory.events"
	}
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "oom_kill "); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, sc.Err()
}

// watchOOMIfAny is watchOOM for a process that may run in no cgroup of its
// own (c nil): then there is nothing to watch.
func (c *taskCgroup) watchOOMIfAny(ctx context.Context, onEvent func()) error {
	if c == nil {
		return nil
	}
	return c.watchOOM(ctx, onEvent)
}

// metricsOf reads the metrics of c, or, without a cgroup of its own (c
// nil), of the cgroup pid runs in.
func (c *taskCgroup) metricsOf(pid int) (*anypb.Any, error) {
	if c != nil {
		return c.metrics()
	}
	return cgroupMetrics(pid)
}

// oomKillsIfAny is oomKills for a process that may have no cgroup of its own.
func (c *taskCgroup) oomKillsIfAny() (uint64, error) {
	if c == nil {
		return 0, nil
	}
	return c.oomKills()
}

// watchOOM calls onEvent for every memory event of the cgroup that may be
// an OOM kill (the v1 oom_control eventfd, v2 memory.events changes) until
// ctx is cancelled or the cgroup goes. onEvent checks oomKills itself.
func (c *taskCgroup) watchOOM(ctx context.Context, onEvent func()) error {
	if c.v2 != nil {
		events, errs := c.v2.EventChan()
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case err, ok := <-errs:
					if ok && err != nil {
						log.G(ctx).WithError(err).WithField("cgroup", c.path).Debug("memory event watch ended")
					}
					return
				case ev := <-events:
					if ev.OOMKill > 0 || ev.OOM > 0 {
						onEvent()
					}
				}
			}
		}()
		return nil
	}
	efd, err := c.v1.OOMEventFD()
	if err != nil {
		return fmt.Errorf("watching cgroup %s for OOM: %w", c.path, err)
	}
	dir, err := c.memoryDir()
	if err != nil {
		unix.Close(int(efd))
		return err
	}
	// Read through Go's poller, not a blocking read: a blocked read holds
	// an OS thread for as long as the task lives (one per task of a shared
	// server), where a parked goroutine holds none.
	if err := unix.SetNonblock(int(efd), true); err != nil {
		unix.Close(int(efd))
		return fmt.Errorf("watching cgroup %s for OOM: %w", c.path, err)
	}
	events := os.NewFile(efd, "oom eventfd")
	stop := context.AfterFunc(ctx, func() { events.Close() })
	go func() {
		defer stop()
		defer events.Close()
		buf := make([]byte, 8)
		for {
			// The kernel also signals the eventfd when the cgroup is removed.
			if _, err := events.Read(buf); err != nil {
				return
			}
			if ctx.Err() != nil {
				return
			}
			if _, err := os.Stat(dir); err != nil {
				return
			}
			onEvent()
		}
	}()
	return nil
}

// delete removes the cgroup; it must hold no process any more.
func (c *taskCgroup) delete() error {
	if c == nil {
		return nil
	}
	var err error
	if c.v2 != nil {
		err = c.v2.Delete()
	} else {
		err = c.v1.Delete()
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing cgroup %s: %w", c.path, err)
	}
	return nil
}

// removeCgroup removes the cgroup at path if it is still there, waiting
// briefly for a just-killed process to leave it.
func removeCgroup(path string) error {
	var err error
	for range 20 {
		var c *taskCgroup
		if c, err = loadTaskCgroup(path); err != nil || c == nil {
			return err
		}
		if err = c.delete(); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}
