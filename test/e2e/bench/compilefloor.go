package main

import (
	"bufio"
	"bytes"
	"cmp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	spinoci "github.com/spinoci/spinoci/shim"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// compileFloor is the pure compilation of one first-start app with one
// compiler setting (engine/internal/capi's BenchmarkCompile): no cache, no
// containerd; a fresh process, as a compile stage is, with malloc set up
// as in a first start's compile stage.
type compileFloor struct {
	app, setting string
	wall, cpu    time.Duration
}

// compileFloorBench runs engine/internal/capi's BenchmarkCompile from a
// test binary built once, each measurement in a process of its own: in one
// process, a compile would reuse the heap its predecessors faulted in,
// which a compile stage, a new process, never finds.
type compileFloorBench struct {
	bin string
}

// compileFloorPackage is where BenchmarkCompile is.
const compileFloorPackage = "engine/internal/capi"

// buildCompileFloor builds the benchmark binary into work.
func buildCompileFloor(t harness.T, work string) compileFloorBench {
	b := compileFloorBench{bin: filepath.Join(work, "capi.test")}
	build := exec.CommandContext(t.Context(), "go", "test", "-c", "-o", b.bin, "./"+compileFloorPackage)
	build.Dir = harness.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building %s's benchmarks: %v\n%s", compileFloorPackage, err, out)
	}
	return b
}

// measure compiles app once with setting ("winch": Winch, the fast tier a
// first start compiles with; "fast": Cranelift's fast tier, the fallback
// where Winch cannot be selected).
func (b compileFloorBench) measure(t harness.T, app, setting string) []compileFloor {
	pattern := "BenchmarkCompile/^" + regexp.QuoteMeta(app) + "$/^" + setting + "$"
	cmd := exec.CommandContext(t.Context(), b.bin, "-test.run", "^$", "-test.bench", pattern, "-test.benchtime", "1x")
	cmd.Dir = filepath.Join(harness.RepoRoot(), compileFloorPackage) // where go test runs it
	cmd.Env = append(os.Environ(), "GLIBC_TUNABLES="+spinoci.CompileStageTunables(true))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("compile floor of %s (%s): %v\n%s", app, setting, err, out)
	}
	return parseCompileFloor(out)
}

// winchFloorRuns is how many times each app's Winch compile is measured
// (its median kept), as many as the app's first starts.
const winchFloorRuns = firstStartRounds

// measureCompileFloor returns each first-start app's compile floors, each
// compile in a new process (measure: compileFloorBench's): the median of
// winchFloorRuns compiles with Winch, and one with Cranelift's fast tier.
// They are information, not a bound of the first starts: measured in a
// run, the JS component's came out above the compile stages of its first
// starts (1.44–1.53 s against 1.11–1.16 s in containerd's log).
func measureCompileFloor(t harness.T, measure func(app, setting string) []compileFloor) []compileFloor {
	var out []compileFloor
	for _, app := range []string{harness.AppSpinRust, harness.AppSpinGo, jsApp} {
		var winch []compileFloor
		for range winchFloorRuns {
			winch = append(winch, measure(app, "winch")...)
		}
		if len(winch) > 0 {
			out = append(out, medianFloor(winch))
		}
		out = append(out, measure(app, "fast")...)
	}
	for _, f := range out {
		t.Logf("   %-14s %-6s wall %v, CPU %v", f.app, f.setting, f.wall.Round(time.Millisecond), f.cpu.Round(time.Millisecond))
	}
	return out
}

// medianFloor is the run of median wall time among runs of one app and
// setting (the lower middle one of an even number).
func medianFloor(runs []compileFloor) compileFloor {
	sorted := slices.SortedFunc(slices.Values(runs), func(a, b compileFloor) int { return cmp.Compare(a.wall, b.wall) })
	return sorted[(len(sorted)-1)/2]
}

// parseCompileFloor reads BenchmarkCompile's result lines:
//
//	BenchmarkCompile/spin-go.wasm/fast-2  1  797478166 ns/op  14494136 code-bytes  860551000 cpu-ns/op
func parseCompileFloor(out []byte) []compileFloor {
	var floors []compileFloor
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "BenchmarkCompile/") {
			continue
		}
		parts := strings.Split(f[0], "/")
		if len(parts) != 3 {
			continue
		}
		setting := parts[2]
		if i := strings.LastIndex(setting, "-"); i > 0 {
			setting = setting[:i] // the GOMAXPROCS suffix
		}
		cf := compileFloor{app: strings.TrimSuffix(parts[1], ".wasm"), setting: setting}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				cf.wall = time.Duration(v)
			case "cpu-ns/op":
				cf.cpu = time.Duration(v)
			}
		}
		if cf.wall > 0 {
			floors = append(floors, cf)
		}
	}
	return floors
}

// floorOf is the measurement of app and setting, if made.
func (r results) floorOf(app, setting string) (compileFloor, bool) {
	for _, f := range r.compile {
		if f.app == app && f.setting == setting {
			return f, true
		}
	}
	return compileFloor{}, false
}
