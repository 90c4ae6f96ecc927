package main

import (
	"cmp"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spinoci/spinoci/test/e2e/bench/report"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// wrkResult is one wrk run.
type wrkResult struct {
	name           string
	rps            float64
	avg, p50, p99  string
	requests, errs string
	// cpuPerRequest is the CPU time (user + system) the server's processes
	// used per request during the run; 0 if unknown.
	cpuPerRequest time.Duration
	// busy and idle are a guest's app process right after its runs and
	// guestIdle later, its instance pools renewed (measureGuests only).
	busy, idle report.Memory
}

// wrk's threads and connections.
const wrkThreads, wrkConnections = "-t2", "-c50"

// wrkRounds is how many times each server is measured, alternating, so
// that other load on the machine touches both alike.
const wrkRounds = 5

// measureThroughput runs the Spin app w under the shim, the native server
// (the runc workload) and the request floor (P3's bound) side by side, each
// `ctr run -d --net-host`, measures each wrkRounds times in turn, and
// returns each one's median run (spinoci's, native's, the floor's), the
// median of the rounds' ratios of spinoci's requests/s to native's, and
// that of the floor's to native's: each round measures all three back to
// back, so that a change of the machine's other load between rounds skews
// a round's runs alike (with other work on the 2 cores, runs of one server
// varied up to 2×).
//
// They run alike as containers, each in a cgroup of its own under the
// daemon's, on the host network. A native server run as a host process
// instead shares the root CPU cgroup with wrk thread by thread, while a
// container's cgroup weighs as one thread there: with the 2 cores
// contended, the same native server served 10–35% fewer requests/s from a
// cgroup of its own than as a host process.
func measureThroughput(t harness.T, d *harness.Containerd, w, native, floor workload, work string, dur time.Duration) (runs []wrkResult, ratio, floorRatio float64) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	servers := []struct {
		w     workload
		label string
	}{{w, "Spin hello via spinoci"}, {native, "native Go net/http hello (runc container)"}, {floor, "request floor (runc container)"}}
	urls, ids := make([]string, len(servers)), make([]string, len(servers))
	for i, s := range servers {
		ids[i] = "wrk-" + s.w.key
		urls[i] = "http://" + runDetached(ctx, t, d, s.w, work, ids[i]) + s.w.path
		defer stop(t, d, ids[i])
	}
	measured := make([][]wrkResult, len(servers))
	var ratios, floorRatios []float64
	for range wrkRounds {
		var round []float64
		for i, s := range servers {
			r := runWrk(t, urls[i], dur, s.label, serverCPU(t, d, ids[i]))
			measured[i] = append(measured[i], r)
			round = append(round, r.rps)
		}
		if round[0] > 0 && round[1] > 0 && round[2] > 0 {
			ratios, floorRatios = append(ratios, round[0]/round[1]), append(floorRatios, round[2]/round[1])
		}
	}
	t.Logf("   rounds' ratios: %s; the request floor's: %s", formatRatios(ratios), formatRatios(floorRatios))
	for _, m := range measured {
		runs = append(runs, medianRun(m))
	}
	return runs, report.Summarize(ratios).Median, report.Summarize(floorRatios).Median
}

// guestRounds is how many times measureGuests runs wrk against each app.
const guestRounds = 3

// measureGuests runs each app of ws under the shim and returns the median
// of guestRounds wrk runs against it: guests heavier than hello, whose
// cost per request is mostly the guest's own (a Go module's runtime start,
// a JS component's engine), where how instances reuse memory shows.
// Their optimised code is cached by then (the start rounds ran them), so
// each serves on it from its first request.
// Its app process's memory is read right after the runs and again
// guestIdle later: its instance pools, renewed after guestPoolRenewIdle
// idle, have given back what the runs' 50 concurrent instances kept.
func measureGuests(t harness.T, d *harness.Containerd, ws []workload, work string, dur time.Duration) []wrkResult {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var out []wrkResult
	for _, w := range ws {
		id := "wrk-" + w.key
		url := "http://" + runDetached(ctx, t, d, w, work, id, "--env", "SPINOCI_POOL_RENEW_IDLE="+guestPoolRenewIdle.String()) + w.path
		var runs []wrkResult
		for range guestRounds {
			runs = append(runs, runWrk(t, url, dur, w.name, serverCPU(t, d, id)))
		}
		g := medianRun(runs)
		g.busy = appMemory(t, d, id)
		time.Sleep(guestIdle)
		g.idle = appMemory(t, d, id)
		t.Logf("   %s: app process PSS %s after the runs, %s idle", w.name, report.FormatMB(float64(g.busy.PSS)), report.FormatMB(float64(g.idle.PSS)))
		stop(t, d, id)
		out = append(out, g)
	}
	return out
}

// The heavier guests' pools are renewed after guestPoolRenewIdle idle (the
// default, 30 s, would only make the benchmark longer); their memory is
// read again guestIdle after the runs.
const (
	guestPoolRenewIdle = 2 * time.Second
	guestIdle          = 5 * time.Second
)

// appMemory is the memory of the processes under container id's shim
// server (its app process); zero if it cannot be read.
func appMemory(t harness.T, d *harness.Containerd, id string) report.Memory {
	groups, err := shimGroups(d.Address)
	if err == nil {
		var m groupMemory
		if m, err = measureGroup(groups[id]); err == nil {
			return m.children
		}
	}
	t.Logf("   memory of %s: %v", id, err)
	return report.Memory{}
}

// formatRatios is "0.81× 0.77× …".
func formatRatios(rs []float64) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = fmt.Sprintf("%.2f×", r)
	}
	return strings.Join(out, " ")
}

// medianRun is the run of median requests/s.
func medianRun(runs []wrkResult) wrkResult {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b wrkResult) int { return cmp.Compare(a.rps, b.rps) })
	return sorted[len(sorted)/2]
}

// serverCPU returns what reads the CPU time used so far by the processes
// under container id's shim (the server: the app process, or runc's
// container process), or 0 if they cannot be read.
func serverCPU(t harness.T, d *harness.Containerd, id string) func() time.Duration {
	return func() time.Duration {
		groups, err := shimGroups(d.Address)
		if err != nil {
			t.Logf("   server CPU of %s: %v", id, err)
			return 0
		}
		var total time.Duration
		for _, pid := range groups[id].children {
			cpu, err := harness.ProcessCPU(pid)
			if err != nil {
				t.Logf("   server CPU of %s: %v", id, err)
				return 0
			}
			total += cpu
		}
		return total
	}
}

// runWrk warms up for a second, then measures; cpu reads the server's CPU
// time, before and after the measured run.
func runWrk(t harness.T, url string, dur time.Duration, label string, cpu func() time.Duration) wrkResult {
	ctx, cancel := context.WithTimeout(t.Context(), dur+time.Minute)
	defer cancel()
	_ = exec.CommandContext(ctx, "wrk", wrkThreads, wrkConnections, "-d1s", url).Run()
	args := []string{wrkThreads, wrkConnections, "-d" + dur.String(), "--latency", url}
	cpu0 := cpu()
	out, err := exec.CommandContext(ctx, "wrk", args...).CombinedOutput()
	cpu1 := cpu()
	if err != nil {
		t.Fatalf("wrk %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	r := parseWrk(string(out))
	r.name = label
	if n, err := strconv.ParseInt(r.requests, 10, 64); err == nil && n > 0 && cpu0 > 0 && cpu1 > cpu0 {
		r.cpuPerRequest = (cpu1 - cpu0) / time.Duration(n)
	}
	t.Logf("   %-50s %8.0f req/s  avg %s  p99 %s  server CPU %s/request %s", label, r.rps, r.avg, r.p99, micros(r.cpuPerRequest), r.errs)
	return r
}

// micros is d in µs ("12.3 µs"), or "?" for an unknown (non-positive) d.
func micros(d time.Duration) string {
	if d <= 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}

var (
	reRPS      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reLatency  = regexp.MustCompile(`(?m)^\s+Latency\s+(\S+)`)
	reP50      = regexp.MustCompile(`(?m)^\s+50%\s+(\S+)`)
	reP99      = regexp.MustCompile(`(?m)^\s+99%\s+(\S+)`)
	reRequests = regexp.MustCompile(`(\d+) requests in`)
	reErrors   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)|Socket errors: [^\n]+`)
)

// parseWrk reads wrk's --latency report.
func parseWrk(s string) wrkResult {
	r := wrkResult{avg: find(reLatency, s), p50: find(reP50, s), p99: find(reP99, s), requests: find(reRequests, s)}
	r.rps, _ = strconv.ParseFloat(find(reRPS, s), 64)
	if m := reErrors.FindAllString(s, -1); len(m) > 0 {
		r.errs = strings.Join(m, "; ")
	}
	return r
}

func find(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); len(m) > 1 {
		return m[1]
	}
	return "?"
}
