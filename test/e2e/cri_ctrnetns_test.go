package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// TestCtrOwnNetworkNamespace: `ctr run` without --net-host gives the app a
// new network namespace with only loopback up, as runc does. The app is not
// reachable from the host's loopback, but answers on the loopback of its
// own namespace.
func TestCtrOwnNetworkNamespace(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	reg := harness.StartRegistry(t)
	d := harness.StartContainerd(t, harness.ContainerdLatest)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	ref := pushLocal(ctx, t, paths, reg, d, "netns/hello:v1", harness.HelloApp())

	id := "own-netns"
	port := harness.FreePort(t)
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	if out, code := d.Ctr("run", "-d", "--runtime", harness.RuntimeType,
		"--env", "SPIN_HTTP_LISTEN_ADDR=127.0.0.1:"+strconv.Itoa(port), ref, id); code != 0 {
		t.Fatalf("ctr run -d: exit %d\n%s", code, out)
	}
	pid := taskPid(t, d, id)
	if nsOf(t, pid, "net") == nsOf(t, os.Getpid(), "net") {
		t.Fatalf("the app is in the host's network namespace")
	}
	client := &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialInNetns(ctx, pid, network, addr)
		},
	}}
	var body string
	if err := waitFor(30*time.Second, func() bool {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == http.StatusOK
	}); err != nil {
		t.Fatalf("the app does not answer on the loopback of its network namespace")
	}
	if body != helloBody {
		t.Errorf("body %q, want %q", body, helloBody)
	}
	if _, err := harness.Get(context.Background(), fmt.Sprintf("http://127.0.0.1:%d/", port)); err == nil {
		t.Errorf("the app answers on the host's loopback, want it isolated")
	}
	if out, code := d.Ctr("task", "kill", id); code != 0 {
		t.Fatalf("ctr task kill: exit %d\n%s", code, out)
	}
	if _, err := d.WaitTaskStatus(id, "STOPPED", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	cleanupContainer(t, d, id)
	assertNoLeftovers(t, d, id)
}

// taskPid reads the PID column of `ctr task ls` for id.
func taskPid(t *testing.T, d *harness.Containerd, id string) int {
	t.Helper()
	task, ok := d.Task(id)
	if !ok {
		t.Fatalf("no task %s in ctr task ls", id)
	}
	return task.PID
}

// dialInNetns opens a connection from inside pid's network namespace: the
// socket is created on a thread that has joined it (the namespace a socket
// belongs to is fixed when it is created). The thread then goes back to its
// own namespace; if it cannot, it stays locked and is discarded. Leaving it
// in the other namespace is not an option: on the main thread that would
// change /proc/<test pid>/ns/net, which other tests compare against.
func dialInNetns(ctx context.Context, pid int, network, addr string) (net.Conn, error) {
	type result struct {
		conn net.Conn
		err  error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		home, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer unix.Close(home)
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/net", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{err: err}
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- result{err: fmt.Errorf("setns: %w", err)}
			return
		}
		var dialer net.Dialer
		conn, err := dialer.DialContext(ctx, network, addr)
		if unix.Setns(home, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		done <- result{conn, err}
	}()
	r := <-done
	return r.conn, r.err
}
