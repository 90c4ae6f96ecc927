package e2e

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// renewedLine is the debug line a renewed shim server logs for each task it
// took over.
const renewedLine = "task taken over by the renewed shim server"

// TestServerRenewal: an idle shim server renews itself in place (it execs
// its own binary, which takes the tasks, the socket and containerd's
// connection over). Its pid stays, the app keeps serving as its child,
// `ctr task metrics` reads the task's cgroup, the exit of a killed app
// reaches containerd with its status, and a Wait containerd sent before the
// renewal (`ctr run` without -d waits through one) is answered.
func TestServerRenewal(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdVersions()...)
	reg := harness.StartRegistry(t)
	app, err := paths.LocalLock(harness.HelloApp())
	if err != nil {
		t.Fatalf("local lock: %v", err)
	}
	if _, err := harness.Push(t.Context(), reg.Host, "renewal/hello:v1", app, artifact.PackOptions{}); err != nil {
		t.Fatalf("push: %v", err)
	}
	ref := harness.Ref(reg.Host, "renewal/hello:v1")
	for _, v := range harness.ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			daemon := harness.StartContainerd(t, v)
			daemon.For(t).Pull(ref)
			testRenewedServerKeepsItsTask(t, daemon.For(t), ref)
			testRenewedServerAnswersWait(t, daemon.For(t), ref)
		})
	}
}

// waitRenewed waits until containerd's log says a renewed server took id
// over.
func waitRenewed(t *testing.T, d *harness.Containerd, id string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); countLogLines(t, d.Log, "id="+id, renewedLine) == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("containerd's log has no %q line for %s within 20s:\n%s", renewedLine, id, grepLines(d.Log, id))
		}
	}
}

func testRenewedServerKeepsItsTask(t *testing.T, d *harness.Containerd, ref string) {
	addr, _ := d.RunDetached(t.Context(), ref, "renewed", harness.RunOptions{})
	server := shimServers(d)["renewed"]
	waitRenewed(t, d, "renewed")
	if got := shimServers(d)["renewed"]; got != server || server == 0 {
		t.Fatalf("shim server of renewed: pid %d after the renewal, %d before; want the same process", got, server)
	}
	pid := taskPIDs(t, d)["renewed"]
	if parent, _ := harness.ParentPID(pid); parent != server {
		t.Errorf("the app process %d has parent %d after the renewal, want the shim server %d", pid, parent, server)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if res, err := harness.Get(ctx, "http://"+addr+"/"); err != nil || res.Status != 200 {
		t.Fatalf("GET / after the renewal: %v %v, want 200", res, err)
	}
	if out, code := d.Ctr("task", "metrics", "renewed"); code != 0 || !strings.Contains(out, "memory") {
		t.Errorf("ctr task metrics renewed after the renewal: exit %d\n%s", code, out)
	}
	if out, code := d.Ctr("task", "kill", "-s", "SIGKILL", "renewed"); code != 0 {
		t.Fatalf("ctr task kill: exit %d\n%s", code, out)
	}
	if _, err := d.WaitTaskStatus("renewed", "STOPPED", 10*time.Second); err != nil {
		t.Fatalf("after SIGKILL: %v", err)
	}
	if out, _ := d.Ctr("task", "rm", "renewed"); !strings.Contains(out, "exit code 137") {
		t.Errorf("ctr task rm renewed after SIGKILL does not report exit code 137:\n%s", out)
	}
	if out, code := d.Ctr("container", "rm", "renewed"); code != 0 {
		t.Fatalf("ctr container rm: exit %d\n%s", code, out)
	}
	if left := d.Leftovers("renewed"); len(left) > 0 {
		t.Errorf("left behind by the renewed server's task: %v", left)
	}
}

func testRenewedServerAnswersWait(t *testing.T, d *harness.Containerd, ref string) {
	addr := "127.0.0.1:" + strconv.Itoa(harness.FreePort(t))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	// ctr run without -d waits for the task's exit with a Wait request.
	run := d.CtrCommand(ctx, "run", "--net-host", "--runtime", harness.RuntimeType, "--env", harness.ListenAddrEnv+"="+addr, ref, "waited")
	t.Cleanup(func() { d.RemoveContainer("waited") })
	exited := make(chan error, 1)
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { exited <- run.Wait() }()
	if _, err := harness.WaitHTTP(ctx, "http://"+addr+"/", time.Minute); err != nil {
		t.Fatalf("waited: %v", err)
	}
	waitRenewed(t, d, "waited")
	if out, code := d.Ctr("task", "kill", "-s", "SIGKILL", "waited"); code != 0 {
		t.Fatalf("ctr task kill: exit %d\n%s", code, out)
	}
	select {
	case err := <-exited:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 137 {
			t.Errorf("ctr run of the killed app ended with %v, want exit status 137", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("ctr run did not return within 15s of the app's SIGKILL: the Wait it sent before the renewal was not answered")
	}
}

// TestServerRenewalCRI: a pod's shim server renews itself with CRI's Wait
// for each container under way; the pod's containers keep running, and
// stop, exit and go as before, leaving nothing behind.
func TestServerRenewalCRI(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	app, err := paths.LocalLock(harness.HelloApp())
	if err != nil {
		t.Fatalf("local lock: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	f := startCRIApps(ctx, t, "srcri")
	const repo = "renewal/hello-cri:v1"
	if _, err := harness.Push(ctx, f.reg.Host, repo, app, artifact.PackOptions{}); err != nil {
		t.Fatalf("push: %v", err)
	}
	pullForCRI(t, f, criRepoSandbox, repo)
	cri := f.d.Crictl()
	p := runPod(t, f, harness.PodConfig{Name: "renewal", HostNetwork: true})
	addr := "127.0.0.1:" + strconv.Itoa(harness.FreePort(t))
	id := startContainer(t, f, p, harness.ContainerConfig{Name: "hello", Image: f.ref(repo), Env: map[string]string{harness.ListenAddrEnv: addr}})
	if _, err := harness.WaitHTTP(ctx, "http://"+addr+"/", time.Minute); err != nil {
		t.Fatalf("hello in a pod: %v", err)
	}
	for _, task := range []string{p.id, id} {
		waitRenewed(t, f.d, task)
	}
	if res, err := harness.Get(ctx, "http://"+addr+"/"); err != nil || res.Status != 200 {
		t.Fatalf("GET / after the renewal: %v %v, want 200", res, err)
	}
	cri.Must("stop", "--timeout", "10", id)
	st, err := cri.WaitState(id, "CONTAINER_EXITED", 10*time.Second)
	if err != nil {
		t.Fatalf("after crictl stop: %v", err)
	}
	if st.Status.ExitCode != 0 {
		t.Errorf("the stopped app exited with %d, want 0 (a graceful stop)", st.Status.ExitCode)
	}
	removePod(t, f, p, id)
}
