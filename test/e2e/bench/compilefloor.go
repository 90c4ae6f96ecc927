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

// winchFloorRuns is how many times each app's Winch compile is measured:
// its median is a bound of the app's first start (bounds.go), compared
// with the median of as many first starts.
const winchFloorRuns = firstStartRounds

// measureCompileFloor runs BenchmarkCompile for each first-start app with
// Winch (the fast tier: what a first start compiles; winchFloorRuns times,
// the median kept) and with Cranelift's fast tier (the fallback where
// Winch cannot be selected; once), each in a process of its own: in one
// process, a compile would reuse the heap its predecessors faulted in,
// which a compile stage, a new process, never finds. The test binary is
// built once, into work.
func measureCompileFloor(t harness.T, work string) []compileFloor {
	const pkg = "engine/internal/capi"
	bin := filepath.Join(work, "capi.test")
	build := exec.CommandContext(t.Context(), "go", "test", "-c", "-o", bin, "./"+pkg)
	build.Dir = harness.RepoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building %s's benchmarks: %v\n%s", pkg, err, out)
	}
	var floors []compileFloor
	for _, app := range []string{"spin-rust.wasm", "spin-go.wasm", "js-hello.wasm"} {
		for _, setting := range []string{"winch", "fast"} {
			runs := 1
			if setting == "winch" {
				runs = winchFloorRuns
			}
			var measured []compileFloor
			for range runs {
				pattern := "BenchmarkCompile/^" + regexp.QuoteMeta(app) + "$/^" + setting + "$"
				cmd := exec.CommandContext(t.Context(), bin, "-test.run", "^$", "-test.bench", pattern, "-test.benchtime", "1x")
				cmd.Dir = filepath.Join(harness.RepoRoot(), pkg) // where go test runs it
				cmd.Env = append(os.Environ(), "GLIBC_TUNABLES="+spinoci.CompileStageTunables(true))
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("compile floor of %s (%s): %v\n%s", app, setting, err, out)
				}
				measured = append(measured, parseCompileFloor(out)...)
			}
			if len(measured) > 0 {
				floors = append(floors, medianFloor(measured))
			}
		}
	}
	for _, f := range floors {
		t.Logf("   %-14s %-6s wall %v, CPU %v", f.app, f.setting, f.wall.Round(time.Millisecond), f.cpu.Round(time.Millisecond))
	}
	return floors
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
