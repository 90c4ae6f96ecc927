package shim

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v3"
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
