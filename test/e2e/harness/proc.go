package harness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spinoci/spinoci/test/servers"
)

// process is a long-running program started by the harness, with stdout and
// stderr captured in a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

func startProcess(name, logPath string, env []string, argv ...string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = env
	// Own process group, and killed if the test binary dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, waits up to grace, then SIGKILLs. It reports whether
// SIGKILL was needed.
func (p *process) stop(grace time.Duration) (killed bool) {
	if p.exited() {
		return false
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return false
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return true
}

// logTail returns the last n lines of the process log.
func (p *process) logTail(n int) string { return fileTail(p.logPath, n) }

func fileTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d earlier lines in %s)", len(lines)-n, path)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// Proc is a process found in /proc.
type Proc struct {
	PID     int
	Cmdline []string
	Environ []string
}

func (p Proc) String() string {
	return fmt.Sprintf("pid %d: %s", p.PID, strings.Join(p.Cmdline, " "))
}

// mentions reports whether s appears in the command line or the environment.
func (p Proc) mentions(s string) bool {
	for _, a := range p.Cmdline {
		if strings.Contains(a, s) {
			return true
		}
	}
	for _, e := range p.Environ {
		if strings.Contains(e, s) {
			return true
		}
	}
	return false
}

// hasFlag reports whether the command line has flag followed by value.
func (p Proc) hasFlag(flag, value string) bool {
	for i := 0; i+1 < len(p.Cmdline); i++ {
		if (p.Cmdline[i] == flag || p.Cmdline[i] == "-"+flag) && p.Cmdline[i+1] == value {
			return true
		}
		if p.Cmdline[i] == flag+"="+value || p.Cmdline[i] == "-"+flag+"="+value {
			return true
		}
	}
	return false
}

// FindProcs lists the live processes (other than this one) for which match
// returns true. Zombies are skipped.
func FindProcs(match func(Proc) bool) []Proc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []Proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		if f, err := procStat(pid); err == nil && f[0] == "Z" {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil || len(cmdline) == 0 {
			continue
		}
		environ, _ := os.ReadFile(filepath.Join(dir, "environ"))
		p := Proc{PID: pid, Cmdline: splitNul(cmdline), Environ: splitNul(environ)}
		if match(p) {
			out = append(out, p)
		}
	}
	return out
}

func splitNul(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}

// killProcs SIGKILLs the processes and waits up to 5 s for them to go.
func killProcs(procs []Proc) {
	for _, p := range procs {
		_ = syscall.Kill(p.PID, syscall.SIGKILL)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, p := range procs {
		for time.Now().Before(deadline) && ProcessAlive(p.PID) {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TempDir makes a directory with a short path under /tmp (unix socket paths
// are limited to 108 bytes and containerd's socket_dir to 42 characters). Its
// cleanup unmounts anything left mounted below it and removes it.
func TempDir(t T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", prefix)
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	t.Cleanup(func() {
		if err := unmountUnder(dir); err != nil {
			t.Errorf("unmount under %s: %v", dir, err)
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	return dir
}

// MountsUnder lists the mount points at or below dir, deepest first.
func MountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var mounts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			mounts = append(mounts, mp)
		}
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i]) > len(mounts[j]) })
	return mounts, sc.Err()
}

func unmountUnder(dir string) error {
	mounts, err := MountsUnder(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range mounts {
		if err := unix.Unmount(m, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("%s: %w", m, err))
		}
	}
	return errors.Join(errs...)
}

// unescapeMountinfo decodes the octal escapes (\040 for space, ...) of
// /proc/self/mountinfo.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t T) int {
	t.Helper()
	return servers.FreePort(t)
}

// envWith returns os.Environ() with the given variables set (KEY=VALUE).
func envWith(vars ...string) []string {
	env := os.Environ()
	for _, kv := range vars {
		key, _, _ := strings.Cut(kv, "=")
		out := env[:0:0]
		for _, e := range env {
			if !strings.HasPrefix(e, key+"=") {
				out = append(out, e)
			}
		}
		env = append(out, kv)
	}
	return env
}
