package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

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
	t.Cleanup(func() { remove(d, id) })
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
