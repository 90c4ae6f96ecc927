package shim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/containerd/log"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/spinoci/spinoci/artifact/appdir"
)

// compilerTunables has glibc's malloc mark its memory for transparent huge
// pages, which a kernel whose setting is "madvise" (Debian's and Ubuntu's
// default) then gives it; with "always" or "never" it changes nothing. A
// compile stage is a fresh process whose compiler allocates what a large
// component needs (~400 MB for the 12 MB JS one) and touches every page of
// it once: in 2 MiB pages instead of 4 KiB ones, that component's fast
// compile stage took 1.8 s instead of 2.2 s, with the same peak memory. App
// processes keep 4 KiB pages: they stay, and their memory is what an idle
// app holds.
const compilerTunables = "glibc.malloc.hugetlb=1"

// compileHeapPad is what a fast compile stage's malloc adds to every heap
// it creates or grows (glibc's top_pad), when its container has room for
// it (compileHeapFits). A compiler allocates and frees all the time, and a
// heap grown a little at a time is not given huge pages where it ends: with
// this pad, each thread's heap is made whole (64 MiB, glibc's largest) at
// once and transparent huge pages (compilerTunables) back it. On a machine
// whose page faults cost 11–16 µs, the JS component's fast compile stage
// took 83,000 page faults and 1.7–1.9 s without it, 22,000 and 1.2–1.6 s
// with it; the Go module's 19,000 and 0.41–0.46 s against 4,100 and
// 0.21–0.28 s. The price is memory: its peak rose from 410 to 450 MB
// (from 38 to 52 MB for the smallest module), enough for a limit that fit
// the stage before to OOM-kill it.
const compileHeapPad = 64 << 20

// CompileStageTunables is a compile stage's GLIBC_TUNABLES: huge pages
// (compilerTunables) and, padded, compileHeapPad. make bench's compile
// floor and make bench-compile (COMPILE_STAGE_TUNABLES) compile with the
// padded ones, as a first start's stage does without a memory limit.
func CompileStageTunables(padded bool) string {
	if !padded {
		return compilerTunables
	}
	return fmt.Sprintf("%s:glibc.malloc.top_pad=%d", compilerTunables, compileHeapPad)
}

// A fast compile stage's peak memory is at most about
// compileStageBase + compileStagePerWasmByte × the size of the largest wasm
// it compiles: measured 38 MB for a 367-byte module, 49 MB for a 5.9 MB
// Rust module, 102 MB for a 2.7 MB Go module, 410 MB for the 12.2 MB JS
// component.
const (
	compileStageBase        = 40 << 20
	compileStagePerWasmByte = 32
)

// compileHeapFits tells whether a fast compile stage whose largest wasm
// is wasmBytes may pad its heaps in a cgroup whose memory limit is limit
// (≤ 0: none): the limit must hold its peak and a pad for each of the
// compiler's threads (one per CPU) and the main heap.
func compileHeapFits(limit, wasmBytes int64, cpus int) bool {
	if limit <= 0 {
		return true
	}
	return limit >= compileStageBase+compileStagePerWasmByte*wasmBytes+int64(cpus+1)*compileHeapPad
}

// padsCompileHeap tells whether l's fast compile stage pads its heaps: in
// a cgroup of the container's own whose memory limit has room for it (in
// the shim's cgroup, whose limit it does not know, never).
func padsCompileHeap(ctx context.Context, l appLaunch) bool {
	if l.cgroupPath == "" {
		return false
	}
	limit := memoryLimit(l.resources)
	if limit <= 0 {
		return true
	}
	wasm, err := largestWasm(filepath.Dir(l.lockPath))
	if err != nil {
		log.G(ctx).WithError(err).Debug("compile stage: not padding its heap")
		return false
	}
	return compileHeapFits(limit, wasm, runtime.NumCPU())
}

// memoryLimit is the memory limit of res in bytes (0: none).
func memoryLimit(res *specs.LinuxResources) int64 {
	if res == nil || res.Memory == nil || res.Memory.Limit == nil || *res.Memory.Limit < 0 {
		return 0
	}
	return *res.Memory.Limit
}

// largestWasm is the size of the largest wasm of the app in dir.
func largestWasm(dir string) (int64, error) {
	app, err := appdir.Open(dir)
	if err != nil {
		return 0, err
	}
	var largest int64
	for _, c := range app.Components() {
		info, err := os.Stat(c.WasmPath)
		if err != nil {
			return 0, fmt.Errorf("sizing the wasm of component %s: %w", c.Lock.ID, err)
		}
		largest = max(largest, info.Size())
	}
	return largest, nil
}
