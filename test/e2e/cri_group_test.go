package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// sharedPod is a pod with a hello app, started by startSharedPods.
type sharedPod struct {
	pod      *pod
	id, addr string
	appPID   int
}

// startSharedPods runs a pod of each configuration with a hello app in it,
// waits until each serves, checks that one shim server (what names) is the
// parent of every pod's pause and app process, each pod with its own, and
// returns the pods and the server's pid.
func startSharedPods(t *testing.T, f *criFixture, what string, configs ...harness.PodConfig) ([]sharedPod, int) {
	t.Helper()
	cri := f.d.For(t).Crictl()
	var members []sharedPod
	for _, cfg := range configs {
		p := runPod(t, f, cfg)
		addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
		id := startContainer(t, f, p, harness.ContainerConfig{Name: "app", Image: f.ref(criRepoHello), Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addr}})
		if _, err := harness.WaitHTTP(context.Background(), "http://"+addr+"/", 60*time.Second); err != nil {
			out, _ := cri.Run("logs", id)
			t.Fatalf("%s: %v\nlogs:\n%s", cfg.Name, err, out)
		}
		st, err := cri.Inspect(id)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, sharedPod{pod: p, id: id, addr: addr, appPID: st.Info.Pid})
	}
	if n := countShimServers(f.d.Procs()); n != 1 {
		t.Errorf("%d shim servers for %d pods of %s, want 1", n, len(configs), what)
	}
	server, err := harness.ParentPID(members[0].pod.pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		for kind, pid := range map[string]int{"pause process": m.pod.pid, "app process": m.appPID} {
			if parent, _ := harness.ParentPID(pid); parent != server {
				t.Errorf("pod %s's %s %d has parent %d, want the shared shim server %d", m.pod.id, kind, pid, parent, server)
			}
		}
	}
	if members[0].appPID == members[1].appPID || members[0].pod.pid == members[1].pod.pid {
		t.Errorf("the pods share processes: %+v", members)
	}
	return members, server
}

// testCRIPodsShareServer: pods with the same group annotation, which the
// runtime passes on from pods (pod_annotations), share one shim server:
// both pods' pause processes and apps are its children, each pod keeps its
// own; both outlive a containerd restart; removing one pod leaves the other
// serving, and the server exits with the last pod.
func testCRIPodsShareServer(t *testing.T, f *criFixture) {
	cri := f.d.For(t).Crictl()
	group := map[string]string{harness.GroupAnnotation: "node"}
	members, server := startSharedPods(t, f, "one group",
		harness.PodConfig{Name: "shared-a", HostNetwork: true, Annotations: group},
		harness.PodConfig{Name: "shared-b", HostNetwork: true, Annotations: group})

	// containerd restarts (as on its upgrade): CRI finds the pods and their
	// containers running on the same server.
	f.daemon.Restart(t)
	for _, m := range members {
		if st, err := cri.WaitState(m.id, "CONTAINER_RUNNING", 30*time.Second); err != nil {
			t.Fatalf("after the restart: %v", err)
		} else if st.Info.Pid != m.appPID {
			t.Errorf("after the restart crictl inspect shows pid %d for %s, want %d", st.Info.Pid, m.id, m.appPID)
		}
		expect(t, m.addr, request{path: "/", status: 200, want: helloBody})
	}
	if !harness.ProcessAlive(server) {
		t.Fatalf("the group's shim server %d is gone after the restart", server)
	}

	// The first pod goes; the second keeps serving on the same server.
	first := members[0]
	cri.Must("stopp", first.pod.id)
	cri.Must("rmp", first.pod.id)
	if err := waitFor(5*time.Second, func() bool { return !harness.ProcessAlive(first.pod.pid) && !harness.ProcessAlive(first.appPID) }); err != nil {
		t.Errorf("pod %s's processes still alive after rmp", first.pod.id)
	}
	expect(t, members[1].addr, request{path: "/", status: 200, want: helloBody})
	if !harness.ProcessAlive(server) {
		t.Fatalf("the group's shim server %d exited with the first pod", server)
	}

	last := members[1]
	cri.Must("stop", "--timeout", "10", last.id)
	cri.Must("rm", last.id)
	removePod(t, f, last.pod, last.id)
	if err := waitFor(10*time.Second, func() bool { return !harness.ProcessAlive(server) }); err != nil {
		t.Errorf("the group's shim server %d still runs after its last pod was removed", server)
	}
	// Only now: the server carries the -id of the pod that started it.
	for _, id := range []string{first.pod.id, first.id} {
		assertNoLeftovers(t, f.d, id)
	}
}

// testCRIRuntimeOptionsGroup: pods run with a runtime handler whose options
// table names a group (Group, in containerd's CRI config) share one shim
// server without any annotation, each with its own pause and app process;
// the server exits with the last pod.
func testCRIRuntimeOptionsGroup(t *testing.T, f *criFixture) {
	cri := f.d.For(t).Crictl()
	members, server := startSharedPods(t, f, "handler "+harness.SharedRuntimeHandler,
		harness.PodConfig{Name: "class-a", HostNetwork: true, Handler: harness.SharedRuntimeHandler},
		harness.PodConfig{Name: "class-b", HostNetwork: true, Handler: harness.SharedRuntimeHandler})

	first, last := members[0], members[1]
	cri.Must("stopp", first.pod.id)
	cri.Must("rmp", first.pod.id)
	if !harness.ProcessAlive(server) {
		t.Fatalf("the shared shim server %d exited with the first pod", server)
	}
	cri.Must("stop", "--timeout", "10", last.id)
	cri.Must("rm", last.id)
	removePod(t, f, last.pod, last.id)
	if err := waitFor(10*time.Second, func() bool { return !harness.ProcessAlive(server) }); err != nil {
		t.Errorf("the shared shim server %d still runs after its last pod was removed", server)
	}
	for _, id := range []string{first.pod.id, first.id} {
		assertNoLeftovers(t, f.d, id)
	}
}
