package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/spinoci/spinoci/test/e2e/bench/report"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// densityStep is the memory of the apps running at one count.
type densityStep struct {
	apps         int
	total        groupMemory // summed over the apps
	lastStart    time.Duration
	elapsedTotal time.Duration // time taken to start the apps so far
}

// perApp is the memory per app: shim + app process, and each part.
func (s densityStep) perApp() (total, shim, app report.Memory) {
	n := int64(s.apps)
	return s.total.total().Div(n), s.total.shim.Div(n), s.total.children.Div(n)
}

// densitySteps are the app counts measured on the way to most: a roughly
// logarithmic series, always ending at most.
func densitySteps(most int) []int {
	var steps []int
	for _, n := range []int{1, 5, 10, 25, 50, 100, 150, 200, 300, 500, 1000} {
		if n < most {
			steps = append(steps, n)
		}
	}
	return append(steps, most)
}

// idleSettle is how long the apps sit idle before their memory is read.
const idleSettle = 2 * time.Second

// measureDensity starts w again and again with `ctr run -d` (each answers
// its first request) and, at each of densitySteps(most), reads the PSS of
// every shim and its app process while they are idle. Then it polls a few
// of them for their metrics (measurePolling) and stops them all.
func measureDensity(t harness.T, d *harness.Containerd, w workload, work string, most int) ([]densityStep, pollingMemory) {
	var polled pollingMemory
	steps := measureDensityAt(t, d, w, work, densitySteps(most), func(ids []string) {
		polled = measurePolling(t, d, ids[:min(polledApps, len(ids))])
	})
	return steps, polled
}

// measureDensityAt is measureDensity at the given counts (ascending),
// calling atLast (unless nil) with the apps' ids once the last count is
// measured, before it stops them.
func measureDensityAt(t harness.T, d *harness.Containerd, w workload, work string, counts []int, atLast func(ids []string)) []densityStep {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Minute)
	defer cancel()
	var ids []string
	defer func() { stopAll(t, d, ids) }()
	var steps []densityStep
	began := time.Now()
	for _, target := range counts {
		var last time.Duration
		for len(ids) < target {
			id := fmt.Sprintf("density-%s-%d", w.key, len(ids))
			start := time.Now()
			runDetached(ctx, t, d, w, work, id)
			last = time.Since(start)
			ids = append(ids, id)
		}
		elapsed := time.Since(began)
		time.Sleep(idleSettle)
		sum, err := readGroups(d, ids)
		if err != nil {
			t.Fatalf("density: %v", err)
		}
		step := densityStep{apps: target, total: sum, lastStart: last, elapsedTotal: elapsed}
		total, shim, app := step.perApp()
		t.Logf("   %4d apps: PSS per app %s (shim %s, app %s; anonymous %s); start of the last %v",
			target, report.FormatMB(float64(total.PSS)), report.FormatMB(float64(shim.PSS)),
			report.FormatMB(float64(app.PSS)), report.FormatMB(float64(total.PSSAnon)), last.Round(time.Millisecond))
		steps = append(steps, step)
	}
	if atLast != nil {
		atLast(ids)
	}
	return steps
}

// stopAll stops and removes the containers, a few at a time.
func stopAll(t harness.T, d *harness.Containerd, ids []string) {
	ids = slices.Clone(ids)
	var wg sync.WaitGroup
	work := make(chan string)
	for range 4 {
		wg.Go(func() {
			for id := range work {
				stop(t, d, id)
			}
		})
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
}

// measureSharedServer starts n apps of w that share one shim server (the
// group annotation) and reads their memory as measureDensity does: the
// server, once, and every app process under it.
func measureSharedServer(t harness.T, d *harness.Containerd, w workload, work string, n int) densityStep {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	w.key += "-shared"
	w.annotations = append(slices.Clone(w.annotations), harness.GroupAnnotation+"=bench")
	var ids []string
	defer func() { stopAll(t, d, ids) }()
	step := densityStep{apps: n}
	began := time.Now()
	for len(ids) < n {
		id := fmt.Sprintf("density-%s-%d", w.key, len(ids))
		start := time.Now()
		runDetached(ctx, t, d, w, work, id)
		step.lastStart = time.Since(start)
		ids = append(ids, id)
	}
	step.elapsedTotal = time.Since(began)
	time.Sleep(idleSettle)
	groups, err := shimGroups(d.Address)
	if err != nil {
		t.Fatalf("%v", err)
	}
	g, ok := groups[ids[0]]
	if !ok {
		t.Fatalf("shared server: no shim server started by %s", ids[0])
	}
	if len(g.children) < n {
		t.Fatalf("shared server: %d processes under the shim server of %s, want the %d apps'", len(g.children), ids[0], n)
	}
	m, err := measureGroup(g)
	if err != nil {
		t.Fatalf("shared server: %v", err)
	}
	step.total = m
	total, shim, app := step.perApp()
	t.Logf("   %4d apps, one shim server: PSS per app %s (shim %s, app %s; anonymous %s)", n,
		report.FormatMB(float64(total.PSS)), report.FormatMB(float64(shim.PSS)), report.FormatMB(float64(app.PSS)),
		report.FormatMB(float64(total.PSSAnon)))
	return step
}
