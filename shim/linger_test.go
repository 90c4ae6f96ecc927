package shim

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/errdefs"
)

// fakeBackground is background work a test makes busy and then finishes.
type fakeBackground struct {
	running  atomic.Bool
	finished chan struct{}
}

func (b *fakeBackground) busy() bool { return b.running.Load() }

func (b *fakeBackground) wait(ctx context.Context) bool {
	if !b.busy() {
		return true
	}
	select {
	case <-b.finished:
		return true
	case <-ctx.Done():
		return false
	}
}

// shutDownWithin reports whether h's server shut down within d.
func (h *taskHarness) shutDownWithin(d time.Duration) bool {
	select {
	case <-h.shutdown.Done():
		return true
	case <-time.After(d):
		return false
	}
}

// TestShutdownLingersForBackgroundWork: with no task left but an optimising
// compile stage running, Shutdown removes the server's socket and refuses
// Create at once, and stops the server only once the stage is done.
func TestShutdownLingersForBackgroundWork(t *testing.T) {
	h := newTaskHarness(t)
	socket := filepath.Join(t.TempDir(), "s.sock")
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h.svc.removeSocket = socketRemover(h.ctx, "unix://"+socket)
	h.background.running.Store(true)

	if _, err := h.svc.Shutdown(h.ctx, &taskAPI.ShutdownRequest{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(socket); !os.IsNotExist(err) {
		t.Errorf("the socket is still there while the server lingers: %v", err)
	}
	if _, err := h.create("c2", h.bundle(nil)); !errdefs.IsUnavailable(native(err)) {
		t.Errorf("Create while the server lingers: %v, want Unavailable", err)
	}
	if h.shutDownWithin(200 * time.Millisecond) {
		t.Fatal("the server shut down while its optimising compile stage ran")
	}
	close(h.background.finished)
	if !h.shutDownWithin(10 * time.Second) {
		t.Fatal("the server did not shut down once the stage was done")
	}
}

// TestShutdownLingerIsBounded: a stage that runs past the linger limit is
// not waited for.
func TestShutdownLingerIsBounded(t *testing.T) {
	h := newTaskHarness(t)
	h.svc.lingerLimit = 100 * time.Millisecond
	h.background.running.Store(true)
	if _, err := h.svc.Shutdown(h.ctx, &taskAPI.ShutdownRequest{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if !h.shutDownWithin(10 * time.Second) {
		t.Fatal("the server waited past its linger limit")
	}
}

// TestOptimizersWait: wait returns once the last counted stage ends, and
// gives up when its context does.
func TestOptimizersWait(t *testing.T) {
	var o optimizers
	end := o.begin()
	if !o.busy() {
		t.Fatal("not busy with a stage running")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	if o.wait(ctx) {
		t.Fatal("wait returned true while a stage ran")
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		end()
	}()
	if !o.wait(context.Background()) || o.busy() {
		t.Fatal("wait did not see the stage end")
	}
	var none *optimizers
	if none.busy() || !none.wait(context.Background()) {
		t.Fatal("a nil *optimizers counts something")
	}
	none.begin()()
}

// TestShutdownWaitsForCreate: a Shutdown that arrives while a Create is
// under way does not stop the server under it.
func TestShutdownWaitsForCreate(t *testing.T) {
	h := newTaskHarness(t)
	h.launcher.entered = make(chan struct{})
	h.launcher.gate = make(chan struct{})
	created := make(chan error, 1)
	bundle := h.bundle(nil)
	go func() {
		_, err := h.create("c1", bundle)
		created <- err
	}()
	<-h.launcher.entered
	if _, err := h.svc.Shutdown(h.ctx, &taskAPI.ShutdownRequest{ID: "c0"}); err != nil {
		t.Fatal(err)
	}
	close(h.launcher.gate)
	if err := <-created; err != nil {
		t.Fatalf("Create: %v", err)
	}
	if h.shutDownWithin(200 * time.Millisecond) {
		t.Fatal("the server shut down while a Create was under way")
	}
}
