package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Task is one row of `ctr task ls`.
type Task struct {
	ID     string
	PID    int
	Status string // CREATED, RUNNING, STOPPED, PAUSED …
}

// ParseTaskList reads the rows of `ctr task ls` output (a TASK PID STATUS
// header, then one task a line). Lines that are not a task row are skipped.
func ParseTaskList(out string) []Task {
	var tasks []Task
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] == "TASK" {
			continue
		}
		pid, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		tasks = append(tasks, Task{ID: f[0], PID: pid, Status: f[2]})
	}
	return tasks
}

// Tasks lists the tasks of the namespace (quietly: the caller says what it
// looked for). It fails with ctr's output when ctr does.
func (d *Containerd) Tasks() ([]Task, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, code := d.CtrQuiet(ctx, "task", "ls")
	if code != 0 {
		return nil, fmt.Errorf("ctr task ls: exit %d\n%s", code, out)
	}
	return ParseTaskList(out), nil
}

// Task returns the task of container id, and false when it has none (or ctr
// task ls failed).
func (d *Containerd) Task(id string) (Task, bool) {
	tasks, _ := d.Tasks()
	for _, task := range tasks {
		if task.ID == id {
			return task, true
		}
	}
	return Task{}, false
}

// ContainerExists reports (quietly) whether `ctr container ls` lists id.
func (d *Containerd) ContainerExists(id string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, _ := d.CtrQuiet(ctx, "container", "ls", "-q")
	for _, l := range strings.Fields(out) {
		if l == id {
			return true
		}
	}
	return false
}

// TaskStatus returns the STATUS column of `ctr task ls` for id, or "" when
// there is no such task.
func (d *Containerd) TaskStatus(id string) string {
	task, _ := d.Task(id)
	return task.Status
}

// WaitTaskStatus polls `ctr task ls` until id has the status (e.g. "STOPPED";
// "" for no task) and returns how long that took.
func (d *Containerd) WaitTaskStatus(id, status string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	last := ""
	for {
		last = d.TaskStatus(id)
		if last == status {
			return time.Since(start), nil
		}
		if time.Since(start) > timeout {
			return time.Since(start), fmt.Errorf("task %s: status %q, want %q after %v", id, last, status, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Leftovers reports what container id left behind: a task, a process (shim
// or app), an app directory, a bundle, and nil when nothing is left. It
// waits for them to go (shims exit asynchronously): up to 5 s for the task
// and its directories, up to lingeringShimWait for its processes.
func (d *Containerd) Leftovers(id string) []string {
	start := time.Now()
	for {
		var left []string
		if st := d.TaskStatus(id); st != "" {
			left = append(left, fmt.Sprintf("task %s (%s)", id, st))
		}
		others := len(left)
		for _, p := range d.TaskProcs(id) {
			left = append(left, "process "+p.String())
		}
		for _, dir := range []string{d.AppDir(id), d.Bundle(id)} {
			if _, err := os.Stat(dir); err == nil {
				left = append(left, "directory "+dir)
				others++
			}
		}
		// A shim whose last task is gone may still finish the app's
		// optimising compile stage before it exits: processes alone get
		// longer.
		waited := time.Since(start)
		if len(left) == 0 || waited > lingeringShimWait || (others > 0 && waited > 5*time.Second) {
			return left
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lingeringShimWait bounds how long Leftovers waits for the processes of a
// removed container: its shim lets an optimising compile stage (seconds for
// the test apps) finish before it exits.
const lingeringShimWait = 2 * time.Minute

// serverExitWait bounds how long Stop waits for shim servers left alone: a
// server whose optimising compile stage has just ended exits once it has
// shut down, which it bounds by 5 s.
const serverExitWait = 10 * time.Second

// onlyServers reports whether ps are shim servers and nothing else.
func onlyServers(ps []Proc) bool {
	for _, p := range ps {
		if len(p.Cmdline) == 0 || filepath.Base(p.Cmdline[0]) != ServerBinary {
			return false
		}
	}
	return len(ps) > 0
}

// onlyLingering reports whether ps are shims whose containers are gone that
// wait for their optimising compile stages: at least one compile stage, and
// nothing but compile stages and shim servers.
func onlyLingering(ps []Proc) bool {
	stages := 0
	for _, p := range ps {
		switch {
		case slices.Contains(p.Cmdline, "--compile-only"):
			stages++
		case len(p.Cmdline) > 0 && filepath.Base(p.Cmdline[0]) == ServerBinary:
		default:
			return false
		}
	}
	return stages > 0
}
