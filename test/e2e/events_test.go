package e2e

import (
	"bufio"
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// testEventOrder watches `ctr events` while a task runs and stops, and checks
// that the shim's events for it arrive as create, start, exit, delete.
func testEventOrder(t *testing.T, f *fixture) {
	d := f.d.For(t)
	id := "events"

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watch := d.CtrCommand(ctx, "events")
	stdout, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Start(); err != nil {
		t.Fatalf("ctr events: %v", err)
	}
	var (
		mu     sync.Mutex
		topics []string
		lines  []string
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		scan := bufio.NewScanner(stdout)
		for scan.Scan() {
			// "<date> <time> <zone> UTC <namespace> <topic> <event JSON>";
			// only this task's events.
			mu.Lock()
			lines = append(lines, scan.Text())
			mu.Unlock()
			if !strings.Contains(scan.Text(), `"container_id":"`+id+`"`) {
				continue
			}
			for _, field := range strings.Fields(scan.Text()) {
				if strings.HasPrefix(field, "/tasks/") {
					mu.Lock()
					topics = append(topics, field)
					mu.Unlock()
					break
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	time.Sleep(300 * time.Millisecond) // let ctr events subscribe

	d.RunDetached(t.Context(), f.ref(repoMulti), id, harness.RunOptions{})
	if out, code := d.Ctr("task", "kill", id); code != 0 {
		t.Fatalf("ctr task kill: exit %d\n%s", code, out)
	}
	if _, err := d.WaitTaskStatus(id, "STOPPED", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if out, code := d.Ctr("task", "rm", id); code != 0 {
		t.Fatalf("ctr task rm: exit %d\n%s", code, out)
	}

	want := []string{"/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"}
	var got []string
	if err := waitFor(5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		got = slices.Clone(topics)
		return len(got) >= len(want)
	}); err != nil {
		mu.Lock()
		t.Errorf("events for task %s: got %v, want %v; ctr events printed:\n%s", id, got, want, strings.Join(lines, "\n"))
		mu.Unlock()
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("events for task %s: got %v, want %v", id, got, want)
	}
	cancel()
	<-done
	_ = watch.Wait()
}
