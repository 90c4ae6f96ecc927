package shimserver

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	"github.com/containerd/log"
	"github.com/containerd/ttrpc"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/types/known/emptypb"
)

// serveAsServerEnv makes the test binary run a server (probeServer).
const serveAsServerEnv = "SHIMSERVER_TEST_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveAsServerEnv) == "1" {
		if err := Run(context.Background(), probeConfig(), os.Args[1:]); err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// probeConfig is a server whose task service is a probe: "test.Probe"
// calls publish an event or shut the server down, and shutting down
// leaves a "shut-down" file in the working directory. The probe renews
// (renewal_test.go).
func probeConfig() Config {
	cfg := testConfig(nil)
	cfg.NewTaskService = func(ctx context.Context, env Env) (TaskService, error) {
		env.Shutdown.RegisterCallback(func(context.Context) error {
			return os.WriteFile("shut-down", nil, 0o600)
		})
		log.G(ctx).Info("probe serving")
		return newProbe(ctx, env), nil
	}
	return cfg
}

func (p *probe) RegisterTTRPC(server Registrar) error {
	call := func(do func() error) ttrpc.Method {
		return func(_ context.Context, unmarshal func(any) error) (any, error) {
			if err := unmarshal(&emptypb.Empty{}); err != nil {
				return nil, err
			}
			return &emptypb.Empty{}, do()
		}
	}
	methods := map[string]ttrpc.Method{
		"Publish": call(func() error {
			return p.env.Publisher.Publish(p.ctx, "/tasks/oom", &eventstypes.TaskOOM{ContainerID: "c1"})
		}),
		"Shutdown": call(func() error { p.env.Shutdown.Shutdown(); return nil }),
	}
	maps.Copy(methods, p.renewalMethods(call))
	server.RegisterService("test.Probe", &ttrpc.ServiceDesc{Methods: methods})
	return nil
}

// startServer runs the probe server in dir with a log FIFO there, as
// containerd does, and returns the process, a client, the log once the
// server has exited, and dir.
func startServer(t *testing.T, events *eventsServer) (*exec.Cmd, *ttrpc.Client, func() string, string) {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mkfifo(filepath.Join(dir, "log"), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	logRead := make(chan struct{})
	go func() {
		defer close(logRead)
		f, err := os.OpenFile(filepath.Join(dir, "log"), os.O_RDONLY, 0)
		if err == nil {
			_, _ = io.Copy(logs, f)
			f.Close()
		}
	}()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.sock")
	cmd := exec.Command(self, "-namespace", "testns", "-id", "c1", "-address", "/nowhere.sock", "-socket", sock, "-debug")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), serveAsServerEnv+"=1", ttrpcAddressEnv+"="+events.path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var conn net.Conn
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if conn, err = net.Dial("unix", sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not listen: %v", err)
		}
	}
	client := ttrpc.NewClient(conn)
	t.Cleanup(func() { client.Close() })
	logAfterExit := func() string {
		select {
		case <-logRead:
		case <-time.After(10 * time.Second):
			t.Fatal("the log FIFO was not closed within 10s of the server's exit")
		}
		return logs.String()
	}
	return cmd, client, logAfterExit, dir
}

func waitExit(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not exit within 10s")
	}
}

// TestServe: a server serves its task service on the socket, publishes to
// containerd's ttrpc address, logs to the bundle's FIFO and, asked to shut
// down, runs the shutdown callbacks and exits 0.
func TestServe(t *testing.T) {
	events := startEventsServer(t)
	cmd, client, logs, dir := startServer(t, events)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.Call(ctx, "test.Probe", "Publish", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if envs, _ := events.received(); len(envs) != 1 || envs[0].Topic != "/tasks/oom" || envs[0].Namespace != "testns" {
		t.Errorf("containerd received %v, want one /tasks/oom event in testns", envs)
	}
	// The reply may be lost as the server exits; containerd ignores that.
	_ = client.Call(ctx, "test.Probe", "Shutdown", &emptypb.Empty{}, &emptypb.Empty{})
	waitExit(t, cmd)
	if _, err := os.Stat(filepath.Join(dir, "shut-down")); err != nil {
		t.Errorf("shutdown callbacks did not run: %v", err)
	}
	if got := logs(); !strings.Contains(got, "probe serving") || !strings.Contains(got, "runtime=io.containerd.test.v1") {
		t.Errorf("the log FIFO got %q, want the server's log lines, naming the runtime", got)
	}
}

// TestServeShutsDownOnSIGTERM: SIGTERM shuts the server down as Shutdown
// does, callbacks included.
func TestServeShutsDownOnSIGTERM(t *testing.T) {
	cmd, _, _, dir := startServer(t, startEventsServer(t))
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd)
	if _, err := os.Stat(filepath.Join(dir, "shut-down")); err != nil {
		t.Errorf("shutdown callbacks did not run: %v", err)
	}
}
