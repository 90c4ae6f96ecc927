package harness

import (
	"context"
	"fmt"
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
