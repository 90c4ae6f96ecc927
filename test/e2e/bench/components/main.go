// Command components measures the start-up of WebAssembly component apps
// (the JavaScript test apps, 12 MB components) through `ctr run`: the first
// start, which compiles every component, against cached starts, which load
// the serialized compilation from the shim's module cache. It writes the
// "## Components" section of the benchmarks markdown file, replacing the
// section if it is there and leaving the rest of the file alone.
//
// `make bench-components` builds the shim, the pinned tools and the test
// apps first. It needs root.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

func main() {
	out := flag.String("out", "docs/benchmarks.md", "markdown file whose Components section is written")
	runs := flag.Int("runs", 5, "cached starts per workload (after the first, compiling one)")
	flag.Parse()
	if *runs < 3 {
		fmt.Fprintln(os.Stderr, "bench components: -runs must be at least 3")
		os.Exit(2)
	}
	os.Exit(harness.RunProgram("bench-components", func(t harness.T) { bench(t, *out, *runs) }))
}

// workload is an app of JS components, each on its routes.
type workload struct {
	name   string
	apps   []string // test app files, one component each
	routes []string // route of each component
	size   int64    // total wasm bytes
}

type result struct {
	w     workload
	first time.Duration
	runs  []time.Duration
}

func bench(t harness.T, out string, runs int) {
	paths := harness.Require(t, harness.ContainerdLatest)
	work := harness.TempDir(t, "benchc")
	workloads := []workload{
		{name: "js-hello (Spin 3 http-js template)", apps: []string{"js-hello.wasm"}, routes: []string{"/..."}},
		{name: "js-hello + js-spin (two components)", apps: []string{"js-hello.wasm", "js-spin.wasm"}, routes: []string{"/...", "/kv/..."}},
	}
	reg := harness.StartRegistry(t)
	var results []result
	for i, w := range workloads {
		app, size, err := localLock(paths, w)
		if err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		w.size = size
		repo := fmt.Sprintf("bench/components-%d:v1", i)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		if _, err := harness.Push(ctx, reg.Host, repo, app, artifact.PackOptions{}); err != nil {
			cancel()
			t.Fatalf("push %s: %v", repo, err)
		}
		cancel()
		// A daemon with an empty module cache of its own: its first start
		// compiles.
		cache := filepath.Join(work, fmt.Sprintf("cache-%d", i))
		d := harness.StartContainerdWith(t, harness.ContainerdLatest, harness.ContainerdOptions{ModuleCacheDir: cache})
		ref := harness.Ref(reg.Host, repo)
		d.Pull(ref)
		r := result{w: w}
		for n := 0; n <= runs; n++ {
			dt := startOnce(t, d, ref, work, fmt.Sprintf("c%d-%d", i, n))
			t.Logf("%s: start %d: %v", w.name, n, dt.Round(time.Millisecond))
			if n == 0 {
				r.first = dt
			} else {
				r.runs = append(r.runs, dt)
			}
		}
		d.Stop()
		results = append(results, r)
	}
	section := render(results, runs)
	if err := harness.WriteMarkdownSections(out, section); err != nil {
		t.Fatalf("%v", err)
	}
	t.Logf("\n== wrote the Components section of %s\n\n%s", out, section)
}

// localLock is the local lock of w, and the size of its wasm.
func localLock(paths harness.Paths, w workload) (*lock.LockedApp, int64, error) {
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	app := &lock.LockedApp{Metadata: map[string]json.RawMessage{
		"name": raw("bench-components"), "trigger": raw(map[string]string{"type": "http", "base": "/"}),
	}}
	var size int64
	for i, name := range w.apps {
		path := paths.App(name)
		st, err := os.Stat(path)
		if err != nil {
			return nil, 0, fmt.Errorf("%w (run `make testapps`)", err)
		}
		size += st.Size()
		id := strings.TrimSuffix(name, ".wasm")
		app.Components = append(app.Components, lock.Component{ID: id, Source: lock.ComponentSource{
			ContentType: "application/wasm", ContentRef: lock.ContentRef{Source: appdir.FileURI(path)},
		}, Metadata: map[string]json.RawMessage{"key_value_stores": raw([]string{"default"})}})
		app.Triggers = append(app.Triggers, lock.Trigger{ID: "t-" + id, TriggerType: "http",
			TriggerConfig: raw(map[string]any{"component": id, "route": w.routes[i]})})
	}
	return app, size, nil
}

// startOnce runs ref detached, times the first 200 on "/", then stops and
// removes it.
func startOnce(t harness.T, d *harness.Containerd, ref, work, id string) time.Duration {
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	args := []string{"run", "-d", "--log-uri", "file://" + filepath.Join(work, id+".log"),
		"--net-host", "--runtime", harness.RuntimeType, "--env", "SPIN_HTTP_LISTEN_ADDR=" + addr, ref, id}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	if out, code := d.CtrQuiet(ctx, args...); code != 0 {
		t.Fatalf("ctr %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	if _, err := harness.WaitHTTP(ctx, "http://"+addr+"/", 5*time.Minute); err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	dt := time.Since(start)
	d.CtrQuiet(ctx, "task", "kill", id)
	if _, err := d.WaitTaskStatus(id, "STOPPED", 10*time.Second); err != nil {
		t.Errorf("%v", err)
	}
	d.CtrQuiet(ctx, "task", "rm", "-f", id)
	d.CtrQuiet(ctx, "container", "rm", id)
	return dt
}

func render(results []result, runs int) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
	p("## Components")
	p("")
	p("Written by `make bench-components` (`go run ./test/e2e/bench/components`) on %s, containerd %s.",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), harness.ContainerdLatest)
	p("Each run: `ctr run -d --net-host --runtime %s <ref> <id>`, then GET `/` every 5 ms until a 200; the time", harness.RuntimeType)
	p("is from starting ctr to that 200. \"First start\" uses an empty module cache, so the shim compiles every")
	p("component (Wasmtime, Cranelift) during Create; the cached starts load the serialized compilation from")
	p("`SPINOCI_CACHE_DIR` (memory-mapped). The JS apps are built from source by `make testapps`.")
	p("")
	p("| Workload | Wasm | First start (compiles) | Cached start, median (%d runs) | Min | Max |", runs)
	p("|---|---|---|---|---|---|")
	for _, r := range results {
		sorted := slices.Clone(r.runs)
		slices.Sort(sorted)
		p("| %s | %.1f MB | %s | %s | %s | %s |", r.w.name, float64(r.w.size)/1e6, ms(r.first),
			ms(sorted[len(sorted)/2]), ms(sorted[0]), ms(sorted[len(sorted)-1]))
	}
	return b.String()
}
