package shim

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/v2/pkg/sys/reaper"
	"github.com/containerd/ttrpc"
	"google.golang.org/protobuf/proto"

	"github.com/spinoci/spinoci/shim/shimserver"
)

// realChild starts a child of the test binary (whose TestMain reaps every
// child), as an app process is a child of the shim server.
func realChild(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	exits, err := reaper.Default.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	// The adopting process takes its own subscription.
	reaper.Default.Unsubscribe(exits)
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd.Process.Pid
}

// openRequest is a request containerd sent and has not had answered.
func openRequest(t *testing.T, method string, msg proto.Message) shimserver.OpenRequest {
	t.Helper()
	payload, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	req, err := proto.Marshal(&ttrpc.Request{Service: shimserver.TaskServiceV3, Method: method, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	return shimserver.OpenRequest{StreamID: 7, Service: shimserver.TaskServiceV3, Method: method, Request: req}
}

// renewedHarness is a task service with a running task (c1, a real child)
// and a stopped one (c2, exit status 3).
func renewedHarness(t *testing.T) *taskHarness {
	t.Helper()
	h := newTaskHarness(t)
	// c1 runs as a real child; later tasks keep the fake pids.
	real := realChild(t)
	h.launcher.configure = func(p *fakeProcess) {
		if p.pidN == 1000 {
			p.pidN = real
		}
	}
	for _, id := range []string{"c1", "c2"} {
		if _, err := h.create(id, h.bundle(nil)); err != nil {
			t.Fatalf("create %s: %v", id, err)
		}
		if _, err := h.svc.Start(h.ctx, &taskAPI.StartRequest{ID: id}); err != nil {
			t.Fatalf("start %s: %v", id, err)
		}
	}
	h.launcher.proc(t, 1).exit(3)
	if _, err := h.svc.Wait(h.ctx, &taskAPI.WaitRequest{ID: "c2"}); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestRenewalHandsTasksOver: a service hands its tasks over with the Waits
// under way on running ones; the next process's service serves them: the
// stopped task's status, the running one's process (adopted: killed by
// pidfd, its exit from the reaper), its exit event and delete.
func TestRenewalHandsTasksOver(t *testing.T) {
	h := renewedHarness(t)
	pid := h.launcher.proc(t, 0).pid()
	if !h.svc.CanRenew() {
		t.Fatal("CanRenew is false with every task started or stopped")
	}
	state, thaw, err := h.svc.HandOver(h.ctx, []shimserver.OpenRequest{openRequest(t, "Wait", &taskAPI.WaitRequest{ID: "c1"})})
	if err != nil {
		t.Fatalf("HandOver: %v", err)
	}
	thaw()

	next := newTaskHarness(t)
	if err := next.svc.TakeOver(next.ctx, state); err != nil {
		t.Fatalf("TakeOver: %v", err)
	}
	st, err := next.svc.State(next.ctx, &taskAPI.StateRequest{ID: "c2"})
	if err != nil || st.Status.String() != "STOPPED" || st.ExitStatus != 3 {
		t.Fatalf("c2 taken over: %v %v, want STOPPED with exit status 3", st, err)
	}
	st, err = next.svc.State(next.ctx, &taskAPI.StateRequest{ID: "c1"})
	if err != nil || st.Status.String() != "RUNNING" || int(st.Pid) != pid {
		t.Fatalf("c1 taken over: %v %v, want RUNNING with pid %d", st, err, pid)
	}
	if _, err := next.svc.Kill(next.ctx, &taskAPI.KillRequest{ID: "c1", Signal: uint32(syscall.SIGKILL)}); err != nil {
		t.Fatalf("Kill c1: %v", err)
	}
	waited := make(chan *taskAPI.WaitResponse, 1)
	go func() {
		w, _ := next.svc.Wait(next.ctx, &taskAPI.WaitRequest{ID: "c1"})
		waited <- w
	}()
	select {
	case w := <-waited:
		if w == nil || w.ExitStatus != 128+uint32(syscall.SIGKILL) {
			t.Fatalf("Wait c1 after SIGKILL: %v, want exit status 137", w)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the adopted process's exit was not seen within 10s")
	}
	for _, id := range []string{"c1", "c2"} {
		if _, err := next.svc.Delete(next.ctx, &taskAPI.DeleteRequest{ID: id}); err != nil {
			t.Fatalf("Delete %s: %v", id, err)
		}
	}
	var exits []string
	for _, e := range next.events() {
		if exit, ok := e.event.(*eventstypes.TaskExit); ok {
			exits = append(exits, exit.ContainerID)
		}
	}
	if strings.Join(exits, ",") != "c1" {
		t.Errorf("exit events after the take-over: %v, want c1's only (c2 exited before)", exits)
	}
}

// TestRenewalRefusals: HandOver refuses, leaving the service as it was,
// while a request other than a Wait on a running task is under way or a
// task is between Create and Start.
func TestRenewalRefusals(t *testing.T) {
	h := renewedHarness(t)
	for name, open := range map[string]shimserver.OpenRequest{
		"Kill":              openRequest(t, "Kill", &taskAPI.KillRequest{ID: "c1", Signal: 9}),
		"Wait on a stopped": openRequest(t, "Wait", &taskAPI.WaitRequest{ID: "c2"}),
		"Wait on no task":   openRequest(t, "Wait", &taskAPI.WaitRequest{ID: "gone"}),
	} {
		if _, _, err := h.svc.HandOver(h.ctx, []shimserver.OpenRequest{open}); err == nil {
			t.Errorf("HandOver with %s under way succeeded", name)
		}
	}
	// Refused and thawed: the service still answers.
	if _, err := h.svc.State(h.ctx, &taskAPI.StateRequest{ID: "c1"}); err != nil {
		t.Fatalf("State after the refusals: %v", err)
	}
	if _, err := h.create("c3", h.bundle(nil)); err != nil {
		t.Fatal(err)
	}
	if h.svc.CanRenew() {
		t.Error("CanRenew is true with c3 created and not started")
	}
	if _, _, err := h.svc.HandOver(h.ctx, nil); err == nil {
		t.Error("HandOver succeeded with c3 created and not started")
	}
}
