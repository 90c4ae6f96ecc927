package engine

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

func TestFitKeepResident(t *testing.T) {
	pages := func(from, to int) []int {
		var p []int
		for i := from; i < to; i++ {
			p = append(p, i)
		}
		return p
	}
	for _, tc := range []struct {
		name    string
		touched []int
		want    int // pages
	}{
		{"nothing touched", nil, 0},
		{"the first page", []int{0}, 1},
		{"the first two", []int{0, 1}, 2},
		{"a page far from the rest", []int{0, 100}, 1},
		{"a few pages far up", pages(256, 261), 0},
		{"most of the memory", pages(0, 300), 300},
		{"many pages up, spread", append(pages(0, 2), pages(200, 240)...), 240},
	} {
		if got := fitKeepResident(tc.touched, 4096); got != tc.want*4096 {
			t.Errorf("%s: %d bytes, want %d pages", tc.name, got, tc.want)
		}
	}
}

// TestModulesResetFitted: once a module's first instance has recorded the
// pages it touched, and its pool has run fitAfterCalls calls (not after
// one), the App moves its modules to a pool that resets what fits them: for the hello module, which touches the first page of its 64
// KiB memory, a page or two instead of the whole memory; for a Go module,
// whose runtime writes megabytes, a megabyte or more; for a Rust module,
// whose few pages sit a megabyte up (its stack's top), less than that. Its
// requests are served before and after.
func TestModulesResetFitted(t *testing.T) {
	page := os.Getpagesize()
	for _, tc := range []struct {
		wasm, prefix string
		// minKeep and maxKeep bound the fitted keep.
		minKeep, maxKeep int
	}{
		{"hello.wasm", "hello from spinoci", page, 2 * page},
		{"spin-go.wasm", "spin-go: ", 1 << 20, capi.PoolKeepResident},
		{"spin-rust.wasm", "spin-rust: ", 0, 1 << 20},
	} {
		t.Run(tc.wasm, func(t *testing.T) {
			a := singleApp(t, builtApp(t, tc.wasm), "/...", nil, Config{CacheDir: sharedComponentCache()})
			old := engines(a)
			getPrefix(t, a, tc.prefix)
			time.Sleep(3 * epochTick)
			if engines(a) != old {
				t.Fatal("the pool was renewed after one call")
			}
			for range fitAfterCalls {
				getPrefix(t, a, tc.prefix)
			}
			keep := waitResetFitted(t, a)
			t.Logf("fitted keep: %d KiB", keep>>10)
			if keep < tc.minKeep || keep > tc.maxKeep {
				t.Errorf("fitted keep %d bytes, want %d to %d", keep, tc.minKeep, tc.maxKeep)
			}
			if renewed := engines(a) != old; renewed != (keep < capi.PoolKeepResident) {
				t.Errorf("pool renewed: %v, with keep %d bytes", renewed, keep)
			}
			for range 3 {
				getPrefix(t, a, tc.prefix)
			}
			if rec := do(t, a.Handler(), http.MethodGet, "/", ""); !strings.HasPrefix(rec.Body.String(), tc.prefix) {
				t.Errorf("after the fit: %d %q", rec.Code, rec.Body.String())
			}
		})
	}
}

// waitResetFitted waits until a's core modules' pool resets what fits the
// pages their sampled instances touched (or a has none) and returns how
// much it keeps.
func waitResetFitted(t *testing.T, a *App) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a.modulesMu.Lock()
		sampled := a.moduleSamplesLocked() > 0
		fit, ok := a.fittedKeepLocked()
		keep, none := a.moduleKeep, len(a.modules) == 0
		a.modulesMu.Unlock()
		if none || sampled && ok && fit == keep {
			a.moduleRenew.retiring.Wait()
			return keep
		}
		if time.Now().After(deadline) {
			t.Fatal("the core modules' memory reset was not fitted")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestModulesResetRaisedByALaterModule: in an app of two modules, the
// first to run (fitAfterCalls times) fits the pool's reset to itself; the
// second, whose runtime writes megabytes, raises it once it has run. Both are served throughout.
func TestModulesResetRaisedByALaterModule(t *testing.T) {
	app := newLock(t, nil, []testComponent{{id: "hello", wasm: builtApp(t, "hello.wasm")}, {id: "go", wasm: builtApp(t, "spin-go.wasm")}},
		[]testTrigger{{component: "hello", route: "/hello"}, {component: "go", route: "/go/..."}})
	a, err := loadLock(t, t.Context(), app, Config{CacheDir: sharedComponentCache()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	get := func(path, prefix string) {
		t.Helper()
		if rec := do(t, a.Handler(), http.MethodGet, path, ""); rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), prefix) {
			t.Fatalf("GET %s: %d %q", path, rec.Code, rec.Body.String())
		}
	}
	for range fitAfterCalls {
		get("/hello", "hello from spinoci")
	}
	small := waitResetFitted(t, a)
	if small > 2*os.Getpagesize() {
		t.Fatalf("fitted to the hello module: %d bytes, want a page or two", small)
	}
	for range fitAfterCalls {
		get("/go/x", "spin-go: ")
	}
	// The Go module's Store may close after its response (a large guest's
	// is released in the background), and its sample with it.
	deadline := time.Now().Add(10 * time.Second)
	for raised := waitResetFitted(t, a); raised < 1<<20; raised = waitResetFitted(t, a) {
		if time.Now().After(deadline) {
			t.Fatalf("once the Go module ran: %d bytes, want it raised to the megabytes it touches", raised)
		}
		time.Sleep(20 * time.Millisecond)
	}
	get("/hello", "hello from spinoci")
	get("/go/y", "spin-go: ")
}

// TestModulesResetFittedUnderLoad: with requests arriving many at once,
// and the pool renewed under them, the hello module's reset is still
// fitted to the page or two it touches. (That a used slot is not sampled
// is coremodule's TestInstancesInUnusedSlotsRecordTouchedPages.)
func TestModulesResetFittedUnderLoad(t *testing.T) {
	a := singleApp(t, builtApp(t, "hello.wasm"), "/...", nil, Config{CacheDir: sharedComponentCache()})
	for range 20 {
		concurrently(16, func() { getPrefix(t, a, "hello from spinoci") })
	}
	if keep := waitResetFitted(t, a); keep > 2*os.Getpagesize() {
		t.Errorf("fitted keep %d bytes, want a page or two", keep)
	}
}

// TestModulesResetNotFittedWhenRenewalsAreOff: with renewals turned off
// (a negative PoolRenewIdle), the modules stay in their first pool.
func TestModulesResetNotFittedWhenRenewalsAreOff(t *testing.T) {
	a := singleApp(t, builtApp(t, "hello.wasm"), "/...", nil, Config{CacheDir: sharedComponentCache(), PoolRenewIdle: -1})
	old := engines(a)
	for range fitAfterCalls + 10 {
		getPrefix(t, a, "hello from spinoci")
	}
	time.Sleep(3 * epochTick)
	a.modulesMu.Lock()
	keep := a.moduleKeep
	a.modulesMu.Unlock()
	if engines(a) != old || keep != capi.PoolKeepResident {
		t.Errorf("the pool was renewed (keep %d bytes) with renewals turned off", keep)
	}
}
