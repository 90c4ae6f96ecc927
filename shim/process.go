package shim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/containerd/v2/pkg/sys/reaper"
	runc "github.com/containerd/go-runc"
	"github.com/containerd/log"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/spinoci/spinoci/shim/appproto"
	"github.com/spinoci/spinoci/shim/sandbox"
)

// appLaunch is what the shim tells a task's child process: an app, or a
// pod's pause process (pause set; the app fields are then unused).
type appLaunch struct {
	pause    bool
	lockPath string
	cacheDir string
	stateDir string
	dir      string   // working directory
	env      []string // the container's environment
	stdout   *os.File
	stderr   *os.File
	ns       namespacePlan
	// cgroupPath is the cgroupfs path of the task's cgroup ("": the shim's
	// own), created with resources' limits.
	cgroupPath string
	resources  *specs.LinuxResources
	// sandbox confines the process (nil: it runs as the shim does);
	// compile, when set, confines the app's compile stage, run first
	// (sandboxing.go).
	sandbox     *sandbox.Config
	compile     *sandbox.Config
	compileOnly bool
	cacheOnly   bool
	compileTier string // of a compile stage: appproto.TierFast ("") or TierOptimized
	// padCompileHeap has a compile stage's malloc pad its heaps
	// (compileHeapPad; compilemalloc.go).
	padCompileHeap bool
	// deathSignal is sent to the child when the thread that started it
	// exits (0: none).
	deathSignal syscall.Signal
	// oomScoreAdj is the child's OOM score adjustment (the spec's
	// process.oomScoreAdj; nil: the shim server's, which it inherits).
	oomScoreAdj *int
	// outlivesTask marks an optimising compile stage, which may outlive
	// the task: its cgroup records it (startStage) so that it can move
	// out when the task is deleted first.
	outlivesTask bool
	tempDir      string
	// runtimeConfig is the container's /runtime-config.toml and the
	// volumes its paths are on (runtimeconfig.go).
	runtimeConfig runtimeConfigPlan
	// phases, when set, times the launch's phases.
	phases *phaseTimer
	// appDirUsers counts the optimising stages that have yet to read the
	// app directory (nil: none are counted).
	appDirUsers *appDirUsers
	// inputsRead, when set, is called when the child (an optimising stage)
	// reports it has read the app (appproto.StateInputsRead).
	inputsRead func()
}

// args is the child's command line after the binary.
func (l appLaunch) args() []string {
	hostname := l.ns.hostname
	if l.sandbox != nil {
		hostname = "" // set by the sandbox, before capabilities are dropped
	}
	if l.pause {
		return appproto.PauseArgs{Hostname: hostname}.Encode()
	}
	return appproto.AppArgs{LockPath: l.lockPath, CacheDir: l.cacheDir, StateDir: l.stateDir, Hostname: hostname,
		TempDir: l.tempDir, CompileOnly: l.compileOnly, RuntimeConfigPath: l.runtimeConfig.hostPath,
		RuntimeConfigName: l.runtimeConfig.name, Volumes: l.runtimeConfig.volumeArgs(),
		CacheOnly: l.cacheOnly, CompileTier: l.compileTier, OneProc: l.oneProc()}.Encode()
}

// oneProc tells whether the child starts on one P (appproto.OneProcEnv):
// an app unless the container's environment sets the number itself; never
// a compile stage, which has no idle life to save memory in, nor a pause
// process, which runs no Go.
func (l appLaunch) oneProc() bool {
	if l.pause || l.compileOnly {
		return false
	}
	for _, kv := range l.env {
		if strings.HasPrefix(kv, appproto.ProcsEnv+"=") {
			return false
		}
	}
	return true
}

// childEnv is the child's environment: the container's, with the variables
// glibc reads at start-up held back until the child is confined
// (appproto.ChildEnv), then nsEnv, the descriptor on which the constructor
// reports a failure (appproto.EnvErrorFD: the status pipe) and, for a child
// started on one P, appproto.OneProcEnv; a compile stage's has
// compilerTunables (and compileHeapPad's when l pads its heap).
func (l appLaunch) childEnv(nsEnv []string) []string {
	env := append(appproto.ChildEnv(l.env), nsEnv...)
	env = append(env, fmt.Sprintf("%s=%d", appproto.EnvErrorFD, appproto.StatusFD))
	if l.oneProc() {
		env = append(env, appproto.OneProcEnv)
	}
	if l.compileOnly {
		// The container's own tunables are held (above), never the stage's.
		env = append(env, "GLIBC_TUNABLES="+CompileStageTunables(l.padCompileHeap))
	}
	return env
}

// childLauncher is the real launcher: it runs the app binary next to the
// shim as the task's app or pause process (childExecutable), in the
// namespaces and the cgroup the launch names. optimizing counts the
// optimising compile stages it starts (nil: none counted).
type childLauncher struct{ optimizing *optimizers }

// launch creates the task's cgroup, starts the child in it and waits until
// the child has loaded the app. Errors caused by the app (it failed to load,
// or was killed for exceeding its memory limit while loading) are marked
// InvalidArgument. On error no process or cgroup is left behind.
func (c childLauncher) launch(ctx context.Context, l appLaunch) (_ process, retErr error) {
	var cg *taskCgroup
	if l.cgroupPath != "" {
		var err error
		if cg, err = newTaskCgroup(l.cgroupPath, l.resources); err != nil {
			return nil, err
		}
		defer func() {
			if retErr != nil {
				if err := cg.delete(); err != nil {
					log.G(ctx).WithError(err).Warn("removing cgroup after a failed create")
				}
			}
		}()
		l.phases.done("cgroup")
	}
	p, err := startApp(ctx, l, cg, c.optimizing)
	if err != nil {
		if n, _ := cg.oomKillsIfAny(); n > 0 {
			err = fmt.Errorf("%w: the app was killed for exceeding its memory limit (OOM) while loading", err)
		}
		return nil, invalidArgument(err)
	}
	return p, nil
}

// appProcess is a running app (or pause) child process and its cgroup.
type appProcess struct {
	cmd     *exec.Cmd
	exits   chan runc.Exit
	control *os.File
	status  *bufio.Reader
	statusF *os.File
	cgroup  *taskCgroup     // nil: the shim's own cgroup
	ready   appproto.Status // the StateReady line
	// inputsRead is called for each StateInputsRead line (nil: ignored).
	inputsRead func()
}

var _ process = (*appProcess)(nil)

// startChild starts the child process in cg and waits until it has loaded
// the app. On error no process is left running.
func startChild(ctx context.Context, l appLaunch, cg *taskCgroup) (_ *appProcess, retErr error) {
	self, err := childExecutable()
	if err != nil {
		return nil, err
	}
	nsEnv, err := l.ns.env()
	if err != nil {
		return nil, err
	}
	cgroupDir, err := cg.dir()
	if err != nil {
		return nil, err
	}
	if cgroupDir != nil {
		defer cgroupDir.Close()
	}
	cgroupTasks, err := cg.v1TasksFiles()
	if err != nil {
		return nil, err
	}
	defer closeFiles(cgroupTasks)
	controlR, controlW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("creating control pipe: %w", err)
	}
	statusR, statusW, err := os.Pipe()
	if err != nil {
		controlR.Close()
		controlW.Close()
		return nil, fmt.Errorf("creating status pipe: %w", err)
	}
	cmd := exec.Command(self, l.args()...)
	cmd.Dir = l.dir
	cmd.Env = l.childEnv(nsEnv)
	cmd.Stdout = l.stdout
	cmd.Stderr = l.stderr
	// ExtraFiles start at fd 3: appproto.ControlFD, then appproto.StatusFD.
	cmd.ExtraFiles = []*os.File{controlR, statusW}
	if l.sandbox != nil {
		record, env, err := sandboxFile(l.sandbox, 3+len(cmd.ExtraFiles))
		if err != nil {
			closeFiles([]*os.File{controlR, controlW, statusR, statusW})
			return nil, err
		}
		defer record.Close()
		cmd.ExtraFiles = append(cmd.ExtraFiles, record)
		cmd.Env = append(cmd.Env, env)
	}
	if len(cgroupTasks) > 0 {
		fds := make([]string, len(cgroupTasks))
		for i, f := range cgroupTasks {
			fds[i] = strconv.Itoa(3 + len(cmd.ExtraFiles))
			cmd.ExtraFiles = append(cmd.ExtraFiles, f)
		}
		cmd.Env = append(cmd.Env, appproto.EnvCgroupTasksFDs+"="+strings.Join(fds, ","))
	}
	var join *stageJoin
	if l.outlivesTask && len(cgroupTasks) > 0 {
		if join, err = newStageJoin(cmd); err != nil {
			closeFiles([]*os.File{controlR, controlW, statusR, statusW})
			return nil, err
		}
		defer join.close()
	}
	// Pdeathsig is deliberately not set: it fires when the forking thread
	// exits, not the shim. An orphaned app is killed by the delete action.
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: l.ns.cloneFlags, Pdeathsig: l.deathSignal}
	if cgroupDir != nil {
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = int(cgroupDir.Fd())
	}
	var exits chan runc.Exit
	var execAt time.Time
	start := func() (int, error) {
		var err error
		execAt = time.Now()
		if exits, err = reaper.Default.Start(cmd); err != nil {
			return 0, err
		}
		join.wait()
		return cmd.Process.Pid, nil
	}
	if l.outlivesTask {
		err = cg.startStage(start)
	} else {
		_, err = start()
	}
	controlR.Close()
	statusW.Close()
	if err != nil {
		controlW.Close()
		statusR.Close()
		return nil, fmt.Errorf("starting app process: %w", err)
	}
	p := &appProcess{cmd: cmd, exits: exits, control: controlW, status: bufio.NewReader(statusR), statusF: statusR, cgroup: cg,
		inputsRead: l.inputsRead}
	defer func() {
		if retErr != nil {
			p.kill(syscall.SIGKILL)
			p.wait()
			p.closePipes()
			if l.outlivesTask {
				cg.forgetStage(p.pid())
			}
		}
	}()
	if err := setOOMScoreAdj(ctx, p.pid(), l.oomScoreAdj); err != nil {
		return nil, err
	}
	if err := p.await(ctx, appproto.StateReady); err != nil {
		return nil, err
	}
	if p.ready.Startup != nil {
		l.phases.startup(execAt, *p.ready.Startup)
	}
	return p, nil
}

// pid is the app process id.
func (p *appProcess) pid() int { return p.cmd.Process.Pid }

// start tells the app to start serving and waits until it listens.
func (p *appProcess) start(ctx context.Context) (string, error) {
	if _, err := io.WriteString(p.control, appproto.CommandStart); err != nil {
		return "", fmt.Errorf("app process is gone: %w", err)
	}
	st, err := p.next(ctx)
	if err != nil {
		return "", err
	}
	if st.State != appproto.StateListening && st.State != appproto.StateHolding {
		return "", fmt.Errorf("app process reported %q, expected %q", st.State, appproto.StateListening)
	}
	return st.Addr, nil
}

func (p *appProcess) await(ctx context.Context, state string) error {
	st, err := p.next(ctx)
	for err == nil && st.State == appproto.StateInputsRead {
		if p.inputsRead != nil {
			p.inputsRead()
		}
		st, err = p.next(ctx)
	}
	if err != nil {
		return err
	}
	if st.State == appproto.StateNotCached {
		return errNotCached
	}
	if st.State != state {
		return fmt.Errorf("app process reported %q, expected %q", st.State, state)
	}
	if state == appproto.StateReady {
		p.ready = st
	}
	return nil
}

// next reads one status line. An error line becomes the error; a closed
// pipe means the process died, and its exit status says how.
func (p *appProcess) next(ctx context.Context) (appproto.Status, error) {
	type result struct {
		st  appproto.Status
		err error
	}
	done := make(chan result, 1)
	go func() {
		line, err := p.status.ReadBytes('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("app process exited before it was ready")
			}
			done <- result{err: err}
			return
		}
		st, err := appproto.ParseStatus(line)
		done <- result{st: st, err: err}
	}()
	select {
	case r := <-done:
		return r.st, r.err
	case <-ctx.Done():
		// Killing the process closes its end of the pipe and ends the reader.
		p.kill(syscall.SIGKILL)
		return appproto.Status{}, ctx.Err()
	}
}

// kill sends sig to the app process; a process that is already gone is not
// an error.
func (p *appProcess) kill(sig syscall.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return err
	}
	return nil
}

// wait blocks until the process exits and returns its status (128+signal
// when it was killed by a signal).
func (p *appProcess) wait() int {
	status, err := reaper.Default.Wait(p.cmd, p.exits)
	if err != nil {
		return 255
	}
	return status
}

func (p *appProcess) closePipes() {
	p.control.Close()
	p.statusF.Close()
}

// oomKills is the OOM kill count of the process's cgroup (0 without one).
func (p *appProcess) oomKills() (uint64, error) { return p.cgroup.oomKillsIfAny() }

// watchOOM watches the process's cgroup for OOM kills.
func (p *appProcess) watchOOM(ctx context.Context, onEvent func()) error {
	return p.cgroup.watchOOMIfAny(ctx, onEvent)
}

// metrics reads the process's cgroup, or the cgroup it was started in.
func (p *appProcess) metrics() (*anypb.Any, error) { return p.cgroup.metricsOf(p.pid()) }

// deleteCgroup removes the process's cgroup, if it has one of its own,
// once the optimising compile stages still running in it have moved out.
func (p *appProcess) deleteCgroup() error {
	if err := p.cgroup.releaseStages(); err != nil {
		return err
	}
	return p.cgroup.delete()
}

// setOOMScoreAdj gives pid the OOM score adjustment score (nil: leaves it).
// Under CRI it ranks the app among the node's containers by QoS class, as
// runc does for its containers, instead of the shim server's score, which
// is near containerd's (the OOM killer's last choice). A child that has
// already exited (a fast load error) is no error: its status says why. A
// server without CAP_SYS_RESOURCE (rootless, or a capability-bounded root)
// cannot lower the score: the child keeps the server's, with a warning.
func setOOMScoreAdj(ctx context.Context, pid int, score *int) error {
	if score == nil {
		return nil
	}
	err := os.WriteFile(fmt.Sprintf("/proc/%d/oom_score_adj", pid), []byte(strconv.Itoa(*score)), 0)
	switch {
	case err == nil, errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ESRCH):
		return nil
	case errors.Is(err, os.ErrPermission):
		log.G(ctx).WithError(err).Warnf("cannot set the process's OOM score adjustment to %d (process.oomScoreAdj)", *score)
		return nil
	}
	return fmt.Errorf("setting the process's OOM score adjustment to %d (process.oomScoreAdj): %w", *score, err)
}
