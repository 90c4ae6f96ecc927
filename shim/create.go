package shim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	eventstypes "github.com/containerd/containerd/api/events"
	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/shim/appdirs"
)

// create starts a task's child process: the app, materialised from the
// container's image, or, for a pod's sandbox, the pause process (a sandbox
// has no app: its image is never read). The launcher places the process in
// the namespaces and the cgroup the spec names. Nothing is left behind on
// error.
func (s *service) create(ctx context.Context, r *taskAPI.CreateTaskRequest, out *stdio, root appdirs.Paths, appDir string) (*shimTask, error) {
	phases := newPhaseTimer()
	spec, err := readSpec(r.Bundle)
	if err != nil {
		return nil, err
	}
	sandbox := isSandbox(spec)
	plan, err := planNamespaces(spec, sandbox)
	if err != nil {
		return nil, invalidArgument(err)
	}
	var cgroupPath string
	if spec.Linux != nil {
		if cgroupPath, err = cgroupfsPath(spec.Linux.CgroupsPath); err != nil {
			return nil, invalidArgument(err)
		}
	}
	if sandbox {
		appDir = ""
	}
	// Recorded first, so that the delete action can remove the app
	// directory and the cgroup even if this server dies half way.
	rec := taskRecord{AppDir: appDir, Cgroup: cgroupPath}
	if err := writeTaskRecord(r.Bundle, rec); err != nil {
		return nil, err
	}

	phases.done("spec")
	launch := appLaunch{pause: sandbox, dir: r.Bundle, stdout: out.out, stderr: out.errOut, ns: plan, phases: phases,
		appDirUsers: &appDirUsers{}}
	if spec.Process != nil {
		launch.oomScoreAdj = spec.Process.OOMScoreAdj
	}
	if !sandbox {
		if err := s.materializeForCreate(ctx, r, root, appDir); err != nil {
			return nil, err
		}
		phases.done("materialize")
		launch.lockPath = filepath.Join(appDir, "spin.lock")
		launch.cacheDir = root.CacheDir()
		launch.stateDir = appStateDir(spec, appDir)
		if launch.runtimeConfig, err = planRuntimeConfig(spec); err != nil {
			return nil, invalidArgument(err)
		}
		launch.dir = appDir
		if spec.Process != nil {
			launch.env = spec.Process.Env
		}
	}
	if err := planSandbox(spec, &launch, r.Bundle); err != nil {
		return nil, invalidArgument(err)
	}
	phases.done("sandbox_plan")
	if cgroupPath != "" {
		launch.cgroupPath = cgroupPath
		launch.resources = spec.Linux.Resources
	}
	releaseCache := holdCompileCacheForStart(ctx, launch.cacheDir)
	proc, err := s.launcher.launch(ctx, launch)
	releaseCache()
	if err != nil {
		return nil, err
	}
	rec.Pid = proc.pid()
	if err := writeTaskRecord(r.Bundle, rec); err != nil {
		proc.kill(syscall.SIGKILL)
		proc.wait()
		proc.closePipes()
		if err := proc.deleteCgroup(); err != nil {
			log.G(ctx).WithError(err).Warn("removing cgroup after a failed create")
		}
		return nil, err
	}
	if !sandbox {
		boundCompileCacheLater(ctx, launch.cacheDir)
		collectFileStoreLater(ctx, root.FileStoreDir())
	}
	phases.log(ctx, r.ID, "task created")
	return &shimTask{
		id:          r.ID,
		bundle:      r.Bundle,
		stdin:       r.Stdin,
		stdout:      r.Stdout,
		stderr:      r.Stderr,
		appDir:      appDir,
		appDirUsers: launch.appDirUsers,
		sandbox:     sandbox,
		cgroupPath:  cgroupPath,
		io:          out,
		proc:        proc,
		pid:         proc.pid(),
		exited:      make(chan struct{}),
		state:       stateCreated,
	}, nil
}

// materializeForCreate makes appDir hold the task's app: the one the start
// action prepared (appdirs.Prepare), else the image's, else, for an
// ordinary image, the app in its root filesystem.
func (s *service) materializeForCreate(ctx context.Context, r *taskAPI.CreateTaskRequest, root appdirs.Paths, appDir string) error {
	rootfs := filepath.Join(r.Bundle, "rootfs")
	switch appdirs.TakePrepared(r.Bundle, appDir) {
	case appdirs.PreparedSpinApp:
		log.G(ctx).WithField("id", r.ID).Debug("app directory read by the start action")
		return nil
	case appdirs.PreparedOrdinaryImage:
		// The preparation read the image already: not again, unless
		// the root filesystem fails too (below, to say why in full).
		if len(r.Rootfs) > 0 && appFromRootfs(ctx, r.Rootfs, rootfs, appDir) == nil {
			return nil
		}
	}
	err := s.images.MaterializeApp(ctx, r.ID, appDir, root.Files())
	if err == nil {
		return nil
	}
	if !errors.Is(err, artifact.ErrNotSpinApp) || len(r.Rootfs) == 0 {
		return invalidArgument(err)
	}
	// An ordinary image: the app is in its root filesystem.
	if rerr := appFromRootfs(ctx, r.Rootfs, rootfs, appDir); rerr != nil {
		return invalidArgument(fmt.Errorf("%w; %w", err, rerr))
	}
	return nil
}

// watchOOM publishes /tasks/oom when the kernel's OOM killer strikes in the
// task's cgroup. The exit path (watch) checks too, so that the OOM event is
// always published before the exit it causes.
func (s *service) watchOOM(t *shimTask) {
	ctx, cancel := context.WithCancel(s.ctx)
	t.stopOOMWatch = cancel
	if err := t.proc.watchOOM(ctx, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.state == stateCreated || t.state == stateRunning {
			s.publishOOM(t)
		}
	}); err != nil {
		log.G(ctx).WithError(err).WithField("id", t.id).Warn("OOM events will only be noticed at exit")
	}
}

// publishOOM sends one /tasks/oom event if the cgroup's OOM kill count has
// grown since the last one. The caller holds t.mu.
func (s *service) publishOOM(t *shimTask) {
	n, err := t.proc.oomKills()
	if err != nil {
		log.G(s.ctx).WithError(err).WithField("id", t.id).Debug("reading OOM kill count")
		return
	}
	if n > t.oomKills {
		t.oomKills = n
		log.G(s.ctx).WithField("id", t.id).Warn("app process killed for exceeding its memory limit (OOM)")
		s.events <- &eventstypes.TaskOOM{ContainerID: t.id}
	}
}

// invalidArgument marks errors caused by the image or app (not by the
// shim) so that clients see InvalidArgument, keeping the message.
func invalidArgument(err error) error {
	if errdefs.IsNotFound(err) || errdefs.IsInvalidArgument(err) || errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
}

func readSpec(bundle string) (*specs.Spec, error) {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("reading OCI spec: %w", err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, fmt.Errorf("parsing OCI spec %s: %w", filepath.Join(bundle, "config.json"), err)
	}
	return &spec, nil
}
