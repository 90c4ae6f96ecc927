package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spinoci/spinoci/test/e2e/bench/report"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// The first polledApps apps of the density run's last step are polled for
// their metrics pollsPerApp times each, round robin, as a metrics collector
// polls them (CRI's container stats, `ctr task metrics`): each poll is a
// Stats request to the app's shim server, which reads the cgroup.
const (
	polledApps  = 5
	pollsPerApp = 20
)

// pollingMemory is the memory of polled apps before their polling and
// idleSettle after it.
type pollingMemory struct {
	polls         int // per app
	before, after densityStep
}

// measurePolling polls the apps ids for their metrics and reads their
// memory before and after.
func measurePolling(t harness.T, d *harness.Containerd, ids []string) pollingMemory {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	p := pollingMemory{polls: pollsPerApp, before: densityStep{apps: len(ids)}, after: densityStep{apps: len(ids)}}
	var err error
	if p.before.total, err = readGroups(d, ids); err != nil {
		t.Fatalf("polling: %v", err)
	}
	for range pollsPerApp {
		for _, id := range ids {
			if out, code := d.CtrQuiet(ctx, "task", "metrics", id); code != 0 {
				t.Fatalf("ctr task metrics %s: exit status %d: %s", id, code, out)
			}
		}
	}
	time.Sleep(idleSettle)
	if p.after.total, err = readGroups(d, ids); err != nil {
		t.Fatalf("polling: %v", err)
	}
	before, _, _ := p.before.perApp()
	after, shim, app := p.after.perApp()
	t.Logf("   %d of them after %d metrics polls each: PSS per app %s (shim %s, app %s), %s before",
		len(ids), p.polls, report.FormatMB(float64(after.PSS)), report.FormatMB(float64(shim.PSS)),
		report.FormatMB(float64(app.PSS)), report.FormatMB(float64(before.PSS)))
	return p
}

// readGroups sums the memory of the shim servers of ids and of the
// processes under them.
func readGroups(d *harness.Containerd, ids []string) (groupMemory, error) {
	var sum groupMemory
	groups, err := shimGroups(d.Address)
	if err != nil {
		return sum, err
	}
	for _, id := range ids {
		g, ok := groups[id]
		if !ok {
			return sum, fmt.Errorf("no shim server found for %s", id)
		}
		m, err := measureGroup(g)
		if err != nil {
			return sum, fmt.Errorf("%s: %w", id, err)
		}
		sum.shim = sum.shim.Add(m.shim)
		sum.children = sum.children.Add(m.children)
	}
	return sum, nil
}
