package nsenter

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spinoci/spinoci/shim/appproto"
)

// pauseChild is the test binary started as a pod's pause process, with the
// control pipe on fd 3 and the status pipe on fd 4.
type pauseChild struct {
	cmd     *exec.Cmd
	control *os.File // write end of fd 3
	status  *bufio.Reader
	stderr  *bytes.Buffer
}

func startPauseChild(t *testing.T, sys *syscall.SysProcAttr, args ...string) *pauseChild {
	t.Helper()
	controlR, controlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	statusR, statusW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &pauseChild{control: controlW, status: bufio.NewReader(statusR), stderr: new(bytes.Buffer)}
	p.cmd = exec.Command(os.Args[0], append([]string{appproto.PauseModeArg}, args...)...)
	p.cmd.ExtraFiles = []*os.File{controlR, statusW}
	p.cmd.SysProcAttr = sys
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	controlR.Close()
	statusW.Close()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		controlW.Close()
		statusR.Close()
	})
	return p
}

func (p *pauseChild) line(t *testing.T) string {
	t.Helper()
	line, err := p.status.ReadString('\n')
	if err != nil {
		t.Fatalf("reading a status line: %v (stderr %q)", err, p.stderr)
	}
	return line
}

// exit waits for the child and returns its exit status.
func (p *pauseChild) exit(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(10 * time.Second):
		t.Fatal("pause process did not exit within 10s")
		return -1
	}
}

// TestPauseRunsWithoutGoRuntime: the pause process reports ready, sets its
// hostname, holds after "start" with a single thread (no Go runtime ever
// started), and SIGTERM ends it with status 0.
func TestPauseRunsWithoutGoRuntime(t *testing.T) {
	requireRoot(t)
	p := startPauseChild(t, &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUTS}, appproto.PauseArgs{Hostname: "pod-host"}.Encode()[1:]...)
	if got := p.line(t); got != `{"state":"ready"}`+"\n" {
		t.Fatalf("first status line %q, want ready", got)
	}
	if _, err := p.control.WriteString("start\n"); err != nil {
		t.Fatal(err)
	}
	if got := p.line(t); got != `{"state":"holding"}`+"\n" {
		t.Fatalf("status line after start %q, want holding", got)
	}
	pid := p.cmd.Process.Pid
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(status), "\nThreads:\t1\n") {
		t.Errorf("pause process runs more than one thread (a Go runtime?):\n%s", status)
	}
	host, err := exec.Command("nsenter", fmt.Sprintf("--uts=/proc/%d/ns/uts", pid), "hostname").Output()
	if err != nil {
		t.Fatalf("reading the pause process's hostname: %v", err)
	}
	if strings.TrimSpace(string(host)) != "pod-host" {
		t.Errorf("pause process hostname %q, want pod-host", host)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.exit(t); code != 0 {
		t.Errorf("exit status after SIGTERM %d, want 0", code)
	}
}

// TestPauseEndsBeforeStart: SIGINT, the control pipe closing or anything
// but "start" before start ends the process with status 0.
func TestPauseEndsBeforeStart(t *testing.T) {
	for name, end := range map[string]func(p *pauseChild) error{
		"SIGINT":         func(p *pauseChild) error { return p.cmd.Process.Signal(syscall.SIGINT) },
		"control closed": func(p *pauseChild) error { return p.control.Close() },
		"other command": func(p *pauseChild) error {
			_, err := p.control.WriteString("stop\n")
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := startPauseChild(t, nil)
			if got := p.line(t); got != `{"state":"ready"}`+"\n" {
				t.Fatalf("first status line %q, want ready", got)
			}
			if err := end(p); err != nil {
				t.Fatal(err)
			}
			if code := p.exit(t); code != 0 {
				t.Errorf("exit status %d, want 0", code)
			}
			if line, err := p.status.ReadString('\n'); err == nil {
				t.Errorf("unexpected status line %q", line)
			}
		})
	}
}

// TestPauseErrors: bad arguments exit 2 naming them; a hostname that cannot
// be set is reported as an error status line and exit 1.
func TestPauseErrors(t *testing.T) {
	p := startPauseChild(t, nil, "--bogus")
	if code := p.exit(t); code != 2 {
		t.Errorf("exit status %d with a bad flag, want 2", code)
	}
	if !strings.Contains(p.stderr.String(), `flag provided but not defined: "--bogus"`) {
		t.Errorf("stderr %q does not name the bad flag", p.stderr)
	}

	// A hostname the kernel refuses (longer than 64 bytes), so that the
	// test's own hostname is never touched.
	long := strings.Repeat("h", 80)
	p = startPauseChild(t, nil, "-hostname="+long)
	line := p.line(t)
	if !strings.HasPrefix(line, `{"error":"setting hostname \"`+long+`\": `) {
		t.Errorf("status line %q, want a hostname error", line)
	}
	if code := p.exit(t); code != 1 {
		t.Errorf("exit status %d after a hostname error, want 1", code)
	}
}
