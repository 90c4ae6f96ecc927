package shim

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"

	"github.com/containerd/containerd/v2/pkg/sys/reaper"
	runc "github.com/containerd/go-runc"
)

// AppModeArg is the first argument with which the shim binary re-executes
// itself as a container's app process.
const AppModeArg = "app"

// The app process talks to the shim over two pipes: it reads commands from
// fd 3 and writes status lines to fd 4. Create waits for "ready" (the app is
// loaded and compiled, so load errors reach the client from Create), Start
// sends "start" and waits for "listening" (so a bind error fails Start).
const (
	controlFD = 3
	statusFD  = 4

	stateReady     = "ready"
	stateListening = "listening"
	commandStart   = "start\n"
)

// appStatus is one status line from the app process.
type appStatus struct {
	State string `json:"state,omitempty"`
	Addr  string `json:"addr,omitempty"`
	Error string `json:"error,omitempty"`
}

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
	cgroup   *taskCgroup // nil: the shim's own cgroup
}

// args is the child's command line after the binary.
func (l appLaunch) args() []string {
	var args []string
	if l.pause {
		args = []string{PauseModeArg}
	} else {
		args = []string{AppModeArg, "--lock", l.lockPath, "--cache", l.cacheDir, "--state", l.stateDir}
	}
	if l.ns.hostname != "" {
		args = append(args, "--hostname", l.ns.hostname)
	}
	return args
}

// appProcess is a running app child process.
type appProcess struct {
	cmd     *exec.Cmd
	exits   chan runc.Exit
	control *os.File
	status  *bufio.Reader
	statusF *os.File
}

// launchApp starts the app process and waits until it has loaded the app.
// On error no process is left running.
func launchApp(ctx context.Context, l appLaunch) (_ *appProcess, retErr error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding shim executable: %w", err)
	}
	nsEnv, err := l.ns.env()
	if err != nil {
		return nil, err
	}
	cgroupDir, err := l.cgroup.dir()
	if err != nil {
		return nil, err
	}
	if cgroupDir != nil {
		defer cgroupDir.Close()
	}
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
	cmd.Env = append(append([]string{}, l.env...), nsEnv...)
	cmd.Stdout = l.stdout
	cmd.Stderr = l.stderr
	cmd.ExtraFiles = []*os.File{controlR, statusW} // fds 3 and 4
	// Pdeathsig is deliberately not set: it fires when the forking thread
	// exits, not the shim. An orphaned app is killed by the delete action.
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: l.ns.cloneFlags}
	if cgroupDir != nil {
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = int(cgroupDir.Fd())
	}
	exits, err := reaper.Default.Start(cmd)
	controlR.Close()
	statusW.Close()
	if err != nil {
		controlW.Close()
		statusR.Close()
		return nil, fmt.Errorf("starting app process: %w", err)
	}
	p := &appProcess{cmd: cmd, exits: exits, control: controlW, status: bufio.NewReader(statusR), statusF: statusR}
	defer func() {
		if retErr != nil {
			p.kill(syscall.SIGKILL)
			p.wait()
			p.closePipes()
		}
	}()
	// On cgroup v1 the process is moved in right away, before it loads the
	// app (most of its memory). If it has already exited (a fast load
	// error), its status line says why.
	if err := l.cgroup.addProcess(p.Pid()); err != nil && !errors.Is(err, syscall.ESRCH) {
		return nil, err
	}
	if err := p.await(ctx, stateReady); err != nil {
		return nil, err
	}
	return p, nil
}

// Pid is the app process id.
func (p *appProcess) Pid() int { return p.cmd.Process.Pid }

// start tells the app to start serving and waits until it listens.
func (p *appProcess) start(ctx context.Context) (string, error) {
	if _, err := io.WriteString(p.control, commandStart); err != nil {
		return "", fmt.Errorf("app process is gone: %w", err)
	}
	st, err := p.next(ctx)
	if err != nil {
		return "", err
	}
	if st.State != stateListening && st.State != stateHolding {
		return "", fmt.Errorf("app process reported %q, expected %q", st.State, stateListening)
	}
	return st.Addr, nil
}

func (p *appProcess) await(ctx context.Context, state string) error {
	st, err := p.next(ctx)
	if err != nil {
		return err
	}
	if st.State != state {
		return fmt.Errorf("app process reported %q, expected %q", st.State, state)
	}
	return nil
}

// next reads one status line. An error line becomes the error; a closed
// pipe means the process died, and its exit status says how.
func (p *appProcess) next(ctx context.Context) (appStatus, error) {
	type result struct {
		st  appStatus
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
		var st appStatus
		if err := json.Unmarshal(line, &st); err != nil {
			done <- result{err: fmt.Errorf("app process wrote an invalid status line %q: %w", line, err)}
			return
		}
		if st.Error != "" {
			done <- result{err: errors.New(st.Error)}
			return
		}
		done <- result{st: st}
	}()
	select {
	case r := <-done:
		return r.st, r.err
	case <-ctx.Done():
		// Killing the process closes its end of the pipe and ends the reader.
		p.kill(syscall.SIGKILL)
		return appStatus{}, ctx.Err()
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
