package main

import (
	"cmp"
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// wrkResult is one wrk run.
type wrkResult struct {
	name           string
	rps            float64
	avg, p50, p99  string
	requests, errs string
}

// wrk's threads and connections.
const wrkThreads, wrkConnections = "-t2", "-c50"

// wrkRounds is how many times each server is measured, alternating, so
// that other load on the machine touches both alike.
const wrkRounds = 3

// measureThroughput runs the Spin app w under the shim (`ctr run -d`) and
// the native server as a host process side by side, measures each
// wrkRounds times in turn, and returns each one's median run: spinoci's,
// then native's.
func measureThroughput(t harness.T, d *harness.Containerd, w workload, nativeBin, work string, dur time.Duration) []wrkResult {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	id := "wrk-" + w.key
	spinURL := "http://" + runDetached(ctx, t, d, w, work, id) + w.path
	defer stop(t, d, id)
	nativeURL, stopNative := startNative(t, nativeBin)
	defer stopNative()
	var spin, native []wrkResult
	for range wrkRounds {
		spin = append(spin, runWrk(t, spinURL, dur, "Spin hello via spinoci"))
		native = append(native, runWrk(t, nativeURL, dur, "native Go net/http hello (host process)"))
	}
	return []wrkResult{medianRun(spin), medianRun(native)}
}

// medianRun is the run of median requests/s.
func medianRun(runs []wrkResult) wrkResult {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b wrkResult) int { return cmp.Compare(a.rps, b.rps) })
	return sorted[len(sorted)/2]
}

// startNative starts the native server as a host process; it returns its
// URL and what stops it.
func startNative(t harness.T, bin string) (string, func()) {
	addr := "127.0.0.1:" + strconv.Itoa(harness.FreePort(t))
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "ADDR="+addr)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the native server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	url := "http://" + addr + "/"
	if _, err := harness.WaitHTTP(t.Context(), url, 30*time.Second); err != nil {
		stop()
		t.Fatalf("native server: %v", err)
	}
	return url, stop
}

// runWrk warms up for a second, then measures.
func runWrk(t harness.T, url string, dur time.Duration, label string) wrkResult {
	ctx, cancel := context.WithTimeout(t.Context(), dur+time.Minute)
	defer cancel()
	_ = exec.CommandContext(ctx, "wrk", wrkThreads, wrkConnections, "-d1s", url).Run()
	args := []string{wrkThreads, wrkConnections, "-d" + dur.String(), "--latency", url}
	out, err := exec.CommandContext(ctx, "wrk", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	r := parseWrk(string(out))
	r.name = label
	t.Logf("   %-50s %8.0f req/s  avg %s  p99 %s %s", label, r.rps, r.avg, r.p99, r.errs)
	return r
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
