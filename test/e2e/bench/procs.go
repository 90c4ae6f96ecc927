package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spinoci/spinoci/test/e2e/bench/report"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// shimGroup is a shim server and the processes under it (app processes, a
// pod's pause process).
type shimGroup struct {
	id       string // the -id the shim was started with
	shim     int
	children []int
}

// groupMemory is the memory of a shim group, split into the shim server
// and the processes under it.
type groupMemory struct {
	shim, children report.Memory
}

func (g groupMemory) total() report.Memory { return g.shim.Add(g.children) }

// shimGroups finds the shim servers of the daemon at address (processes
// started with "-id <id>" that name the address, whose parent is not one)
// and the processes under each, by container (or pod sandbox) id.
func shimGroups(address string) (map[string]shimGroup, error) {
	ids := map[int]string{}
	for _, p := range harness.FindProcs(func(p harness.Proc) bool { return mentions(p, address) }) {
		if id := flagValue(p.Cmdline, "id"); id != "" {
			ids[p.PID] = id
		}
	}
	parents, err := readParents()
	if err != nil {
		return nil, err
	}
	groups := map[string]shimGroup{}
	for pid, id := range ids {
		if _, nested := ids[parents[pid]]; nested {
			continue
		}
		if g, dup := groups[id]; dup {
			return nil, fmt.Errorf("two shim servers for %s: pids %d and %d", id, g.shim, pid)
		}
		groups[id] = shimGroup{id: id, shim: pid, children: descendants(parents, pid)}
	}
	return groups, nil
}

// shimChildren counts the processes the shim server of container id (of
// the daemon at address) has started that still run: its app process, and
// a compile stage while one runs.
func shimChildren(address, id string) (int, error) {
	groups, err := shimGroups(address)
	if err != nil {
		return 0, err
	}
	g, ok := groups[id]
	if !ok {
		return 0, fmt.Errorf("no shim server found for %s", id)
	}
	parents, err := readParents()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, pid := range g.children {
		if parents[pid] == g.shim {
			n++
		}
	}
	return n, nil
}

// measureGroup reads the memory of every process of g.
func measureGroup(g shimGroup) (groupMemory, error) {
	var m groupMemory
	var err error
	if m.shim, err = report.ReadMemory(g.shim); err != nil {
		return m, err
	}
	for _, pid := range g.children {
		c, err := report.ReadMemory(pid)
		if err != nil {
			return m, err
		}
		m.children = m.children.Add(c)
	}
	return m, nil
}

func mentions(p harness.Proc, s string) bool {
	for _, a := range append(p.Cmdline, p.Environ...) {
		if strings.Contains(a, s) {
			return true
		}
	}
	return false
}

// flagValue is the value of -name (or --name) in argv: "-name v" or
// "-name=v"; "" if absent.
func flagValue(argv []string, name string) string {
	for i, a := range argv {
		for _, dash := range []string{"-", "--"} {
			if a == dash+name && i+1 < len(argv) {
				return argv[i+1]
			}
			if v, ok := strings.CutPrefix(a, dash+name+"="); ok {
				return v
			}
		}
	}
	return ""
}

// readParents maps every live process to its parent.
func readParents() (map[int]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	parents := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, err := harness.ParentPID(pid); err == nil { // else gone
			parents[pid] = ppid
		}
	}
	return parents, nil
}

// descendants lists the processes under root (children, grandchildren, …).
func descendants(parents map[int]int, root int) []int {
	children := map[int][]int{}
	for pid, ppid := range parents {
		children[ppid] = append(children[ppid], pid)
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// lingerStopTimeout bounds the wait for stopped shim servers to exit.
const lingerStopTimeout = 30 * time.Second

// stopLingeringServers stops the shim servers of d that outlived their
// containers. A spinoci server whose containers are all gone keeps running
// until its optimising compile stage has cached the optimised code (so that
// the next start of a container that ran briefly loads it); between the
// first starts of the benchmark, such a stage would take CPU from the next
// first start (two cores, shared by the compile stages of both) and could
// write into a module cache the benchmark has just emptied. Stopping them
// gives each first start the machine to itself, as on a node where nothing
// else compiles. Call it only while none of d's containers runs.
func stopLingeringServers(t harness.T, d *harness.Containerd) {
	groups, err := shimGroups(d.Address)
	if err != nil {
		t.Fatalf("finding lingering shim servers: %v", err)
	}
	if len(groups) == 0 {
		return
	}
	var pids []int
	for _, g := range groups {
		// SIGTERM: the server shuts down; its compile stage, started
		// with a death signal, dies with it.
		if err := syscall.Kill(g.shim, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
			t.Fatalf("stopping lingering shim server %d (%s): %v", g.shim, g.id, err)
		}
		pids = append(pids, g.shim)
		pids = append(pids, g.children...)
	}
	deadline := time.Now().Add(lingerStopTimeout)
	for _, pid := range pids {
		for harness.ProcessAlive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("lingering shim server or its compile stage (pid %d) still runs %v after SIGTERM", pid, lingerStopTimeout)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	t.Logf("   stopped %d shim server(s) still compiling optimised code for an earlier start", len(groups))
}
