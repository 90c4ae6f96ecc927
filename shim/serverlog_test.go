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

// TestServerLogFollowsTasks: the server's log stays in the bundle of a
// task while that task exists; deleting it moves the log to a task still
// there; a task created while the log's bundle has none (its task failed
// to create, or is gone) gets the log; a move that fails leaves the log
// where it was and fails nothing.
func TestServerLogFollowsTasks(t *testing.T) {
	h := newTaskHarness(t)
	bundles := map[string]string{}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		bundles[id] = h.bundle(nil)
	}
	logs := &fakeServerLog{bundle: bundles["a"]}
	h.svc.serverLog = logs
	create := func(id string) {
		t.Helper()
		if _, err := h.create(id, bundles[id]); err != nil {
			t.Fatal(err)
		}
	}
	remove := func(id string) {
		t.Helper()
		if _, err := h.svc.Delete(h.ctx, &taskAPI.DeleteRequest{ID: id}); err != nil {
			t.Fatalf("Delete %s: %v", id, err)
		}
	}
	want := func(when, bundle string, moves int) {
		t.Helper()
		if got, all := logs.state(); got != bundles[bundle] || len(all) != moves {
			t.Fatalf("%s: log in %s after moves %v; want it in %s's bundle %s after %d moves", when, got, all, bundle, bundles[bundle], moves)
		}
	}

	for _, id := range []string{"a", "b", "c"} {
		create(id)
	}
	want("after creating a, b, c", "a", 0)
	remove("b")
	want("after deleting b", "a", 0)
	remove("a")
	want("after deleting a", "c", 1)
	remove("c")
	want("after deleting the last task", "c", 1)
	create("d")
	want("after creating d while the log's task was gone", "d", 2)

	logs.mu.Lock()
	logs.refuse = true
	logs.mu.Unlock()
	create("e")
	want("after creating e", "d", 2)
	remove("d")
	if got, all := logs.state(); got != bundles["d"] || len(all) != 3 || all[2] != bundles["e"] {
		t.Errorf("after a refused move: log in %s, moves %v; want one attempt at e's bundle, the log left in d's", got, all)
	}
}
