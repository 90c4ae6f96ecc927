package servers

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// T is the part of testing.TB the servers use.
type T interface {
	Helper()
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Failed() bool
	Cleanup(func())
	TempDir() string
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t interface {
	Helper()
	Fatalf(format string, args ...any)
}) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Server is a running server process.
type Server struct {
	t    T
	name string
	// Port is where it listens on 127.0.0.1.
	Port int
	// Dir is its data directory.
	Dir  string
	argv []string
	// attr, when set, is the process's attributes (a user to run as).
	attr *syscall.SysProcAttr
	// stop is the signal that stops it (default: kill); the server is
	// waited for after it.
	stop os.Signal

	mu   sync.Mutex
	cmd  *exec.Cmd
	logs *bytes.Buffer
}

// Addr is host:port.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

func start(t T, name string, port int, dir string, argv ...string) *Server {
	t.Helper()
	return startServer(t, &Server{t: t, name: name, Port: port, Dir: dir, argv: argv})
}

// startServer starts s and stops it when the test ends.
func startServer(t T, s *Server) *Server {
	t.Helper()
	s.Start()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("%s's output:\n%s", s.name, s.logs.String())
		}
	})
	return s
}

// Start (re)starts the server on the same port and data directory and
// waits until it accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(s.argv[0], s.argv[1:]...)
	cmd.Dir = s.Dir
	cmd.SysProcAttr = s.attr
	s.logs = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting %s: %v", s.name, err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", s.Addr())
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s did not listen on %s:\n%s", s.name, s.Addr(), s.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (it may be started again).
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		if s.stop != nil {
			// A server may not act on the signal yet (MariaDB while it
			// starts): kill it when it does not stop in time.
			proc := s.cmd.Process
			_ = proc.Signal(s.stop)
			stopped := time.AfterFunc(15*time.Second, func() { _ = proc.Kill() })
			defer stopped.Stop()
		} else {
			_ = s.cmd.Process.Kill()
		}
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// serverBinary finds a server program on PATH or in the sbin directories
// Debian installs daemons into (not always on a user's PATH). A missing one
// skips the test, except under CI (CI set), where test/deps.sh installed it
// and its absence is a failure, not a reason to test less.
func serverBinary(t T, name string) string {
	t.Helper()
	if bin, err := exec.LookPath(name); err == nil {
		return bin
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
		if bin := filepath.Join(dir, name); isExecutable(bin) {
			return bin
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed (test/deps.sh installs it)", name)
	}
	t.Skipf("%s is not installed (test/deps.sh installs it)", name)
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Redis starts redis-server without persistence.
func Redis(t T) *Server {
	t.Helper()
	bin := serverBinary(t, "redis-server")
	port, dir := FreePort(t), t.TempDir()
	return start(t, "redis-server", port, dir, bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--dir", dir, "--save", "", "--appendonly", "no")
}

// RedisURL is the server's redis:// URL.
func (s *Server) RedisURL() string { return "redis://" + s.Addr() }

// Mosquitto starts an MQTT broker that accepts only username/password.
func Mosquitto(t T, username, password string) *Server {
	t.Helper()
	bin := serverBinary(t, "mosquitto")
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "passwd")
	if out, err := exec.Command("mosquitto_passwd", "-b", "-c", pwFile, username, password).CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatalf("current user: %v", err)
	}
	port := FreePort(t)
	// user: as root, mosquitto would switch to user mosquitto, which cannot
	// read the test's private directory.
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\npersistence false\nuser %s\n",
		port, pwFile, me.Username)
	confPath := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatalf("writing %s: %v", confPath, err)
	}
	return start(t, "mosquitto", port, dir, bin, "-c", confPath)
}

// MQTTURL is the broker's mqtt:// URL.
func (s *Server) MQTTURL() string { return "mqtt://" + s.Addr() }
