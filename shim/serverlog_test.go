package shim

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
)

// fakeServerLog records where the server's log is sent.
type fakeServerLog struct {
	mu     sync.Mutex
	bundle string
	moves  []string
	refuse bool // MoveTo fails
}

func (l *fakeServerLog) Bundle() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bundle
}

func (l *fakeServerLog) MoveTo(_ context.Context, bundle string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.moves = append(l.moves, bundle)
	if l.refuse {
		return errors.New("no reader")
	}
	l.bundle = bundle
	return nil
}

func (l *fakeServerLog) state() (string, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bundle, slices.Clone(l.moves)
}

// TestDeleteMovesServerLog: deleting the task whose log FIFO the server
// logs to moves the log to a task still there; deleting another task, or
// the last one, leaves it; a move that fails does not fail the Delete.
func TestDeleteMovesServerLog(t *testing.T) {
	h := newTaskHarness(t)
	bundles := map[string]string{}
	for _, id := range []string{"a", "b", "c"} {
		bundles[id] = h.bundle(nil)
		if _, err := h.create(id, bundles[id]); err != nil {
			t.Fatal(err)
		}
	}
	logs := &fakeServerLog{bundle: bundles["a"]}
	h.svc.serverLog = logs
	remove := func(id string) {
		t.Helper()
		if _, err := h.svc.Delete(h.ctx, &taskAPI.DeleteRequest{ID: id}); err != nil {
			t.Fatalf("Delete %s: %v", id, err)
		}
	}

	remove("b")
	if bundle, moves := logs.state(); bundle != bundles["a"] || len(moves) != 0 {
		t.Fatalf("after deleting b: log in %s, moves %v; want it left in a's bundle", bundle, moves)
	}
	remove("a")
	if bundle, moves := logs.state(); bundle != bundles["c"] || len(moves) != 1 {
		t.Fatalf("after deleting a: log in %s, moves %v; want it moved once, to c's bundle %s", bundle, moves, bundles["c"])
	}
	logs.mu.Lock()
	logs.refuse = true
	logs.mu.Unlock()
	remove("c")
	if _, moves := logs.state(); len(moves) != 1 {
		t.Errorf("deleting the last task moved the log: %v", moves)
	}

	// A failed move leaves the log where it was; the Delete succeeds.
	for _, id := range []string{"d", "e"} {
		bundles[id] = h.bundle(nil)
		if _, err := h.create(id, bundles[id]); err != nil {
			t.Fatal(err)
		}
	}
	logs.mu.Lock()
	logs.bundle = bundles["d"]
	logs.mu.Unlock()
	remove("d")
	if bundle, moves := logs.state(); bundle != bundles["d"] || len(moves) != 2 || moves[1] != bundles["e"] {
		t.Errorf("after a refused move: log in %s, moves %v; want one attempt at e's bundle, the log left in d's", bundle, moves)
	}
}
