// Command bench measures spinoci against a native baseline on this machine
// and writes the results as markdown (make bench: docs/benchmarks.md):
//
//   - start-up: the time from `ctr run -d` to the first HTTP 200, for the
//     Spin hello app under io.containerd.spinoci.v1 and for a static native
//     Go "hello" server in a runc container (io.containerd.runc.v2), median
//     of -runs runs each after a first, uncached start that is reported
//     apart;
//   - throughput: requests/s with `wrk -t2 -c32 -d5s` for the Spin apps and
//     for the native Go net/http hello.
//
// It builds only the native server (CGO_ENABLED=0); `make bench` builds the
// shim, the pinned tools (with containerd-shim-runc-v2) and the test apps.
// It needs root, runc and wrk.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

type options struct {
	out      string
	runs     int
	duration time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "docs/benchmarks.md", "markdown file to write")
	flag.IntVar(&o.runs, "runs", 7, "start-up runs per workload (after the first, uncached one)")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "wrk duration")
	flag.Parse()
	if o.runs < 5 {
		fmt.Fprintln(os.Stderr, "bench: -runs must be at least 5")
		os.Exit(2)
	}
	os.Exit(harness.RunProgram("bench", func(t harness.T) { bench(t, o) }))
}

// workload is something started with `ctr run -d` and probed over HTTP.
type workload struct {
	name    string
	ref     string
	runtime string
	env     string // NAME=: the listen address variable
	path    string // probed path
}

// startResult is one workload's start-up times.
type startResult struct {
	w     workload
	first time.Duration
	runs  []time.Duration
}

// wrkResult is one wrk run.
type wrkResult struct {
	name           string
	rps            float64
	avg, p50, p99  string
	requests, errs string
}

func bench(t harness.T, o options) {
	paths := harness.Require(t, harness.ContainerdLatest)
	daemon, _ := paths.Containerd(harness.ContainerdLatest)
	runcShim := filepath.Join(filepath.Dir(daemon), "containerd-shim-runc-v2")
	if _, err := os.Stat(runcShim); err != nil {
		t.Fatalf("%v: run `make bench` (it builds containerd-shim-runc-v2)", err)
	}
	for _, tool := range []string{"runc", "wrk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: apt-get install runc wrk", tool)
		}
	}
	work := harness.TempDir(t, "bench")

	t.Logf("== building the native Go hello server (static)")
	native := filepath.Join(work, "hello")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", native, "./test/e2e/bench/nativehello")
	build.Dir = harness.RepoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build nativehello: %v\n%s", err, out)
	}
	nativeBin, err := os.ReadFile(native)
	if err != nil {
		t.Fatalf("%v", err)
	}

	reg := harness.StartRegistry(t)
	d := harness.StartContainerd(t, harness.ContainerdLatest)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	t.Logf("== pushing and pulling the workloads")
	hello, err := paths.LocalLock(harness.HelloApp())
	if err != nil {
		t.Fatalf("%v", err)
	}
	multi, err := paths.LocalLock(harness.MultiApp(""))
	if err != nil {
		t.Fatalf("%v", err)
	}
	if _, err := harness.Push(ctx, reg.Host, "bench/spin-hello:v1", hello, artifact.PackOptions{}); err != nil {
		t.Fatalf("%v", err)
	}
	if _, err := harness.Push(ctx, reg.Host, "bench/spin-multi:v1", multi, artifact.PackOptions{}); err != nil {
		t.Fatalf("%v", err)
	}
	if _, err := harness.PushLinuxImage(ctx, reg.Host, "bench/native-hello:v1",
		[]harness.TarFile{{Name: "hello", Mode: 0o755, Data: nativeBin}}, []string{"/hello"}); err != nil {
		t.Fatalf("%v", err)
	}
	spinHello := workload{name: "Spin hello (WAT module, 343 B)", ref: harness.Ref(reg.Host, "bench/spin-hello:v1"),
		runtime: harness.RuntimeType, env: "SPIN_HTTP_LISTEN_ADDR", path: "/"}
	spinMulti := workload{name: "Spin multi-route app (hello + 2.6 MB Go modules), probing /go/x", ref: harness.Ref(reg.Host, "bench/spin-multi:v1"),
		runtime: harness.RuntimeType, env: "SPIN_HTTP_LISTEN_ADDR", path: "/go/x"}
	nativeW := workload{name: fmt.Sprintf("native Go hello (static, %.1f MB) in runc", float64(len(nativeBin))/1e6),
		ref: harness.Ref(reg.Host, "bench/native-hello:v1"), runtime: "io.containerd.runc.v2", env: "ADDR", path: "/"}
	for _, w := range []workload{spinHello, spinMulti, nativeW} {
		d.Pull(w.ref)
	}

	t.Logf("\n== start-up: ctr run -d → first HTTP 200 (%d runs each after a first one)", o.runs)
	var starts []startResult
	for _, w := range []workload{spinHello, spinMulti, nativeW} {
		r := startResult{w: w}
		for i := 0; i <= o.runs; i++ {
			dt := startOnce(t, d, w, work, fmt.Sprintf("start-%d-%d", len(starts), i))
			if i == 0 {
				r.first = dt
			} else {
				r.runs = append(r.runs, dt)
			}
		}
		t.Logf("   %-70s first %8v  median %8v", w.name, ms(r.first), ms(median(r.runs)))
		starts = append(starts, r)
	}

	t.Logf("\n== throughput: wrk -t2 -c32 -d%v", o.duration)
	var wrks []wrkResult
	wrks = append(wrks, wrkContainer(t, d, spinHello, work, o.duration, "Spin hello via spinoci"))
	wrks = append(wrks, wrkContainer(t, d, spinMulti, work, o.duration, "Spin spin-go (Go module, prints a line per request) via spinoci"))
	wrks = append(wrks, wrkNative(t, native, o.duration))

	md := report(t, d, o, starts, wrks)
	if err := harness.WriteMarkdownSections(o.out, md); err != nil {
		t.Fatalf("%v", err)
	}
	t.Logf("\n== wrote %s\n\n%s", o.out, md)
}

// startOnce runs w detached, times the first 200, then stops and removes it.
func startOnce(t harness.T, d *harness.Containerd, w workload, work, id string) time.Duration {
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	args := []string{"run", "-d", "--log-uri", "file://" + filepath.Join(work, id+".log"),
		"--net-host", "--runtime", w.runtime, "--env", w.env + "=" + addr, w.ref, id}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	t.Cleanup(func() { remove(d, id) })
	start := time.Now()
	if out, code := d.CtrQuiet(ctx, args...); code != 0 {
		t.Fatalf("ctr %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	if _, err := harness.WaitHTTP(ctx, "http://"+addr+w.path, time.Minute); err != nil {
		t.Fatalf("%s: %v", w.name, err)
	}
	dt := time.Since(start)
	stop(t, d, id)
	return dt
}

// stop ends a task with SIGTERM and removes it and its container.
func stop(t harness.T, d *harness.Containerd, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d.CtrQuiet(ctx, "task", "kill", id)
	if _, err := d.WaitTaskStatus(id, "STOPPED", 10*time.Second); err != nil {
		t.Errorf("%v", err)
	}
	remove(d, id)
}

func remove(d *harness.Containerd, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if d.TaskStatus(id) != "" {
		d.CtrQuiet(ctx, "task", "rm", "-f", id)
	}
	if d.ContainerExists(id) {
		d.CtrQuiet(ctx, "container", "rm", id)
	}
}

func wrkContainer(t harness.T, d *harness.Containerd, w workload, work string, dur time.Duration, label string) wrkResult {
	id := "wrk-" + strconv.Itoa(int(time.Now().UnixNano()%1e6))
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	t.Cleanup(func() { remove(d, id) })
	args := []string{"run", "-d", "--log-uri", "file://" + filepath.Join(work, id+".log"),
		"--net-host", "--runtime", w.runtime, "--env", w.env + "=" + addr, w.ref, id}
	if out, code := d.CtrQuiet(ctx, args...); code != 0 {
		t.Fatalf("ctr run: exit %d\n%s", code, out)
	}
	url := "http://" + addr + w.path
	if _, err := harness.WaitHTTP(ctx, url, time.Minute); err != nil {
		t.Fatalf("%v", err)
	}
	r := runWrk(t, url, dur, label)
	stop(t, d, id)
	return r
}

func wrkNative(t harness.T, bin string, dur time.Duration) wrkResult {
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "ADDR="+addr)
	if err := cmd.Start(); err != nil {
		t.Fatalf("%v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	url := "http://" + addr + "/"
	if _, err := harness.WaitHTTP(t.Context(), url, 30*time.Second); err != nil {
		t.Fatalf("%v", err)
	}
	return runWrk(t, url, dur, "native Go net/http hello (host process)")
}

// runWrk warms up for a second, then measures with wrk -t2 -c32.
func runWrk(t harness.T, url string, dur time.Duration, label string) wrkResult {
	warm := exec.CommandContext(t.Context(), "wrk", "-t2", "-c32", "-d1s", url)
	_ = warm.Run()
	args := []string{"-t2", "-c32", "-d" + dur.String(), "--latency", url}
	out, err := exec.CommandContext(t.Context(), "wrk", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	s := string(out)
	var (
		reRPS      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
		reLatency  = regexp.MustCompile(`(?m)^\s+Latency\s+(\S+)`)
		reP50      = regexp.MustCompile(`(?m)^\s+50%\s+(\S+)`)
		reP99      = regexp.MustCompile(`(?m)^\s+99%\s+(\S+)`)
		reRequests = regexp.MustCompile(`(\d+) requests in`)
		reErrors   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)|Socket errors: [^\n]+`)
	)
	r := wrkResult{name: label, avg: find(reLatency, s), p50: find(reP50, s), p99: find(reP99, s), requests: find(reRequests, s)}
	r.rps, _ = strconv.ParseFloat(find(reRPS, s), 64)
	if m := reErrors.FindAllString(s, -1); len(m) > 0 {
		r.errs = strings.Join(m, "; ")
	}
	t.Logf("   %-70s %10.0f req/s  avg %s  p99 %s %s", label, r.rps, r.avg, r.p99, r.errs)
	return r
}

func find(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); len(m) > 1 {
		return m[1]
	}
	return "?"
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func report(t harness.T, d *harness.Containerd, o options, starts []startResult, wrks []wrkResult) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Benchmarks")
	p("")
	p("Written by `make bench` (`go run ./test/e2e/bench`) on %s. No targets are set yet; a later issue sets them.", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	p("Everything runs on the same machine: containerd, the shims, the servers and the load generator share its cores.")
	p("")
	p("## Machine")
	p("")
	p("| | |")
	p("|---|---|")
	for _, kv := range machine(d) {
		p("| %s | %s |", kv[0], kv[1])
	}
	p("")
	p("## Start-up: `ctr run -d` to the first HTTP 200")
	p("")
	p("Each run: `ctr run -d --net-host --runtime <runtime> --log-uri file://… <ref> <id>`, then GET every 5 ms until a 200;")
	p("the time is from starting ctr to that 200. Then SIGTERM, `ctr task rm`, `ctr container rm`. The images were pulled before.")
	p("\"First start\" is the first run of that image in a fresh containerd root (Wasm modules not yet compiled and cached;")
	p("for runc, the first container); the median is over the %d runs after it.", o.runs)
	p("")
	p("| Workload | Runtime | Median (%d runs) | Min | Max | First start |", o.runs)
	p("|---|---|---:|---:|---:|---:|")
	for _, r := range starts {
		s := slices.Clone(r.runs)
		slices.Sort(s)
		p("| %s | `%s` | %s | %s | %s | %s |", r.w.name, r.w.runtime, ms(median(r.runs)), ms(s[0]), ms(s[len(s)-1]), ms(r.first))
	}
	p("")
	p("## Throughput: `wrk -t2 -c32 -d%v --latency`", o.duration)
	p("")
	p("After a 1 s warm-up. The Spin apps run under the shim (started with `ctr run -d`, listening on 127.0.0.1);")
	p("the native server is the same static Go binary as above, run directly as a host process.")
	p("")
	p("| Server | Requests/s | Avg latency | p50 | p99 | Requests | Errors |")
	p("|---|---:|---:|---:|---:|---:|---|")
	for _, r := range wrks {
		errs := r.errs
		if errs == "" {
			errs = "none"
		}
		p("| %s | %.0f | %s | %s | %s | %s | %s |", r.name, r.rps, r.avg, r.p50, r.p99, r.requests, errs)
	}
	return b.String()
}

// machine describes the host and the versions in play.
func machine(d *harness.Containerd) [][2]string {
	var rows [][2]string
	add := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	add("CPU", firstMatch("/proc/cpuinfo", regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`)))
	add("Cores", strconv.Itoa(runtime.NumCPU()))
	if kb, err := strconv.ParseFloat(firstMatch("/proc/meminfo", regexp.MustCompile(`(?m)^MemTotal:\s*(\d+)`)), 64); err == nil {
		add("Memory", fmt.Sprintf("%.1f GiB", kb/1024/1024))
	}
	add("Kernel", strings.TrimSpace(cmdOut("uname", "-sr")))
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			add("Load average at the end (1, 5, 15 min)", strings.Join(f[:3], ", ")+" (other work on the machine skews the figures)")
		}
	}
	add("OS", firstMatch("/etc/os-release", regexp.MustCompile(`(?m)^PRETTY_NAME="?([^"\n]+)`)))
	add("Go", runtime.Version())
	add("containerd", d.Version)
	add("runc", firstLine(cmdOut("runc", "--version")))
	add("wrk", firstLine(cmdOut("wrk", "-v")))
	add("wasmtime-go", firstMatch(filepath.Join(harness.RepoRoot(), "go.mod"), regexp.MustCompile(`wasmtime-go/v\d+ (v\S+)`)))
	if rev := strings.TrimSpace(cmdOut("git", "-C", harness.RepoRoot(), "rev-parse", "--short", "HEAD")); rev != "" {
		add("spinoci commit", rev)
	}
	return rows
}

func firstMatch(path string, re *regexp.Regexp) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "?"
	}
	return find(re, string(b))
}

func cmdOut(name string, args ...string) string {
	out, _ := exec.Command(name, args...).CombinedOutput()
	return string(out)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
