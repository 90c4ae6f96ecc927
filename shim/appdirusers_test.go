package shim

import (
	"bufio"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"

	"github.com/spinoci/spinoci/shim/appproto"
)

func TestAppDirUsers(t *testing.T) {
	var none *appDirUsers
	none.add()()
	if !none.wait(t.Context(), time.Millisecond) {
		t.Error("a nil count waited")
	}
	u := &appDirUsers{}
	done := u.add()
	if u.wait(t.Context(), 20*time.Millisecond) {
		t.Error("wait returned true while a user was counted")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if u.wait(ctx, time.Minute) {
		t.Error("wait returned true for an ended context")
	}
	done()
	done() // once only
	if !u.wait(t.Context(), time.Second) {
		t.Error("wait returned false once the user was done")
	}
}

// TestDeleteWaitsForAppDirUsers: Delete removes a task's app directory only
// once the optimising stage its launch counted has read the app.
func TestDeleteWaitsForAppDirUsers(t *testing.T) {
	h := newTaskHarness(t)
	bundle := h.bundle(nil)
	if _, err := h.create("c1", bundle); err != nil {
		t.Fatalf("Create: %v", err)
	}
	launches := h.launcher.launched()
	if len(launches) != 1 || launches[0].appDirUsers == nil {
		t.Fatalf("launches %+v: want one with an app directory user count", launches)
	}
	inputsRead := launches[0].appDirUsers.add() // an optimising stage
	if _, err := h.svc.Kill(h.ctx, &taskAPI.KillRequest{ID: "c1", Signal: 9}); err != nil {
		t.Fatal(err)
	}
	deleted := make(chan error, 1)
	go func() {
		_, err := h.svc.Delete(h.ctx, &taskAPI.DeleteRequest{ID: "c1"})
		deleted <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := os.Stat(h.appDir("c1")); err != nil {
		t.Fatalf("the app directory went before the stage read it: %v", err)
	}
	inputsRead()
	select {
	case err := <-deleted:
		if err != nil {
			t.Fatalf("Delete: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Delete still waits after the stage read the app")
	}
	if _, err := os.Stat(h.appDir("c1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("app directory after delete: %v", err)
	}
}

// TestAwaitReportsInputsRead: a stage's inputs-read line, which may come
// before its ready line, is handed to the launch's hook and skipped.
func TestAwaitReportsInputsRead(t *testing.T) {
	lines := `{"state":"inputs-read"}` + "\n" + `{"state":"ready","tier":"fast"}` + "\n"
	calls := 0
	p := &appProcess{status: bufio.NewReader(strings.NewReader(lines)), inputsRead: func() { calls++ }}
	if err := p.await(t.Context(), appproto.StateReady); err != nil {
		t.Fatalf("await ready after inputs-read: %v", err)
	}
	if calls != 1 || p.ready.Tier != appproto.TierFast {
		t.Errorf("hook called %d times, ready %+v; want once, the ready line", calls, p.ready)
	}
	quiet := &appProcess{status: bufio.NewReader(strings.NewReader(lines))}
	if err := quiet.await(t.Context(), appproto.StateReady); err != nil {
		t.Errorf("await without a hook: %v", err)
	}
}
