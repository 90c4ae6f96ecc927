package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// workload is something started with `ctr run -d` and probed over HTTP.
type workload struct {
	key     string // short name: hello, spin-go, spin-rust, js, files, runc
	name    string // for the tables
	ref     string
	runtime string
	env     string // NAME: the listen address variable
	path    string // probed path
	size    int64  // bytes of wasm (or of the native binary)
	// annotations are OCI annotations (key=value) ctr run adds.
	annotations []string
	// joinsServer says the workload's starts join a running shim server:
	// another container of its group (its annotations) runs throughout
	// them, as on a node where the group's server already serves other
	// apps. It makes no first starts.
	joinsServer bool
}

// startResult is one workload's start times.
type startResult struct {
	w      workload
	first  time.Duration   // the median of firsts
	firsts []time.Duration // first starts (each compiles the wasm)
	cached []time.Duration // the starts after them
	// optimised is how long after a start its optimised code was cached
	// (0: no compile stage, a runc or floor workload).
	optimised time.Duration
}

// firstStartRounds is how many first starts each workload makes: one
// first start is a single sample of a noisy machine.
const firstStartRounds = 3

// measureStarts pulls and starts every workload firstStartRounds times as
// its first start on the node (forget, before each round but the first,
// removes what earlier starts left for later ones: compiled code, stored
// files), then runs rounds of one start per workload, so that the load of
// the machine at any moment touches every workload alike.
func measureStarts(t harness.T, d *harness.Containerd, ws []workload, runs int, work string, forget func()) []startResult {
	results := make([]startResult, len(ws))
	for i, w := range ws {
		results[i].w = w
	}
	// round starts each workload once, skipping those that join a running
	// server when it is a round of first starts: theirs would load the code
	// the same app's first start compiled, and start a server of their own.
	round := func(name string, firsts bool, start func(i int, w workload) time.Duration) {
		var line []string
		for i, w := range ws {
			if firsts && w.joinsServer {
				continue
			}
			dt := start(i, w)
			line = append(line, fmt.Sprintf("%s %v", w.key, dt.Round(time.Millisecond)))
		}
		t.Logf("   %s: %s", name, strings.Join(line, ", "))
	}
	for f := range firstStartRounds {
		if f > 0 {
			stopLingeringServers(t, d)
			forget()
		}
		round(fmt.Sprintf("first start %d", f+1), true, func(i int, w workload) time.Duration {
			stopLingeringServers(t, d)
			if f == 0 {
				// As on a node: pulled, then run. Pulled all at once
				// first, the static-files app's 200 MB slowed the JS
				// component's compile stage that followed from 1.2 s to
				// 2.3 s on the 2-core test machine, even after a sync.
				d.Pull(w.ref)
			}
			dt := startOnce(t, d, w, work, fmt.Sprintf("f-%s-%d", w.key, f))
			results[i].firsts = append(results[i].firsts, dt)
			return dt
		})
	}
	stopLingeringServers(t, d)
	for i, w := range ws {
		if !w.joinsServer {
			results[i].first = time.Duration(median(results[i].firsts) * 1e6)
			results[i].optimised = settleOptimisedCode(t, d, w, work)
		}
	}
	for _, w := range ws {
		if w.joinsServer {
			// An app of its group, running through the rounds.
			keeper := "keep-" + w.key
			d.Pull(w.ref) // it made no first start that pulled it
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			runDetached(ctx, t, d, w, work, keeper)
			cancel()
			defer stop(t, d, keeper)
		}
	}
	for r := range runs {
		round(fmt.Sprintf("round %d", r+1), false, func(i int, w workload) time.Duration {
			dt := startOnce(t, d, w, work, fmt.Sprintf("s-%s-%d", w.key, r))
			results[i].cached = append(results[i].cached, dt)
			return dt
		})
	}
	return results
}

// settleOptimisedCode runs w, a spinoci workload, once until its
// optimised code is cached and returns how long that took from the start:
// a first start caches fast code and compiles the optimised code in the
// background, in a compile stage under the shim server, cut short when the
// container stops. The cached starts measured after this load the
// optimised code, as every start on a node does once an app has run for a
// while, and no compile stage from an earlier start takes CPU from them.
func settleOptimisedCode(t harness.T, d *harness.Containerd, w workload, work string) time.Duration {
	if w.runtime != harness.RuntimeType {
		return 0
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	id := "settle-" + w.key
	began := time.Now()
	runDetached(ctx, t, d, w, work, id)
	for {
		n, err := shimChildren(d.Address, id)
		if err != nil {
			t.Fatalf("%v", err)
		}
		if n <= 1 { // the app process alone
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%s: the optimising compile stage still runs after %v", w.name, time.Since(began).Round(time.Second))
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(began)
	t.Logf("   %s: optimised code cached %v after the start", w.key, took.Round(10*time.Millisecond))
	stop(t, d, id)
	return took
}

// startOnce runs w detached, times the first 200, then stops and removes it.
func startOnce(t harness.T, d *harness.Containerd, w workload, work, id string) time.Duration {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	runDetached(ctx, t, d, w, work, id)
	dt := time.Since(start)
	stop(t, d, id)
	return dt
}

// runDetached runs w as container id with `ctr run -d` on a free loopback
// port and waits for its first 200; it returns the address. A cleanup
// removes the container if it is still there.
func runDetached(ctx context.Context, t harness.T, d *harness.Containerd, w workload, work, id string, extraFlags ...string) string {
	flags := extraFlags
	for _, a := range w.annotations {
		flags = append(flags, "--annotation", a)
	}
	addr, _ := d.For(t).Quiet().RunDetached(ctx, w.ref, id, harness.RunOptions{
		Runtime: w.runtime, ListenEnv: w.env, LogPath: filepath.Join(work, id+".log"),
		Flags: flags, Probe: w.path, Timeout: 5 * time.Minute,
	})
	return addr
}

// stop ends a task with SIGTERM and removes it and its container.
func stop(t harness.T, d *harness.Containerd, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d.CtrQuiet(ctx, "task", "kill", id)
	if _, err := d.WaitTaskStatus(id, "STOPPED", 10*time.Second); err != nil {
		t.Errorf("%v", err)
	}
	d.Quiet().RemoveContainer(id)
}

// phaseResult is where one workload's start time goes, start by start:
// `ctr container create`, `ctr task start -d`, and from its return to the
// first 200.
type phaseResult struct {
	w                     workload
	create, start, listen []time.Duration
}

// measurePhases starts each workload runs times (interleaved) in three
// steps instead of one `ctr run -d`, timing each step.
func measurePhases(t harness.T, d *harness.Containerd, ws []workload, runs int, work string) []phaseResult {
	out := make([]phaseResult, len(ws))
	for i, w := range ws {
		out[i].w = w
	}
	for round := range runs {
		for i, w := range ws {
			c, s, l := startInPhases(t, d, w, work, fmt.Sprintf("p-%s-%d", w.key, round))
			out[i].create = append(out[i].create, c)
			out[i].start = append(out[i].start, s)
			out[i].listen = append(out[i].listen, l)
		}
	}
	return out
}

// startInPhases creates, starts and probes w, then stops and removes it.
func startInPhases(t harness.T, d *harness.Containerd, w workload, work, id string) (create, start, listen time.Duration) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	t.Cleanup(func() { d.Quiet().RemoveContainer(id) })
	steps := [][]string{
		{"container", "create", "--net-host", "--runtime", w.runtime, "--env", w.env + "=" + addr, w.ref, id},
		{"task", "start", "-d", "--log-uri", "file://" + filepath.Join(work, id+".log"), id},
	}
	var took [2]time.Duration
	for i, args := range steps {
		began := time.Now()
		if out, code := d.CtrQuiet(ctx, args...); code != 0 {
			t.Fatalf("ctr %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
		took[i] = time.Since(began)
	}
	began := time.Now()
	if _, err := harness.WaitHTTP(ctx, "http://"+addr+w.path, 5*time.Minute); err != nil {
		t.Fatalf("%s (%s): %v", w.name, id, err)
	}
	listen = time.Since(began)
	stop(t, d, id)
	return took[0], took[1], listen
}
