package engine

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/testio"
)

// loopForever is a handler body that never ends.
const loopForever = `(loop $l (br $l))`

// waitFreeSlots waits until no request holds an instance slot: the guest
// has stopped and its Store is gone.
func waitFreeSlots(t *testing.T, a *App) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for a.core.InstancesInUse() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d instance slots still in use", a.core.InstancesInUse())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Spin 1.x and WAGI guests that never end are stopped at the guest time
// limit: 500, a log line naming the limit, the slot free again.
func TestGuestTimeLimitCoreModules(t *testing.T) {
	env := []string{GuestTimeLimitEnv + "=300ms"}
	for name, app := range map[string]func(t *testing.T) *App{
		"spin": func(t *testing.T) *App {
			return singleApp(t, watFile(t, spinWAT(loopForever+"\n(i32.const 0)")), "/...", nil, Config{Env: env})
		},
		"wagi": func(t *testing.T) *App {
			return singleApp(t, watFile(t, wagiWAT("_start", "Content-Type: text/plain\n\n", loopForever)), "/...", wagiExec("", ""), Config{Env: env})
		},
	} {
		t.Run(name, func(t *testing.T) {
			a := app(t)
			if a.core.InstanceLimit() == 0 {
				t.Skip("no instance pool on this machine")
			}
			logs := &testio.Buffer{}
			start := time.Now()
			w := do(t, a.Handler(), "GET", "/", "", withLog(logs))
			if took := time.Since(start); w.Code != 500 || took > 5*time.Second {
				t.Fatalf("got %d after %v, want 500 soon after the 300ms limit", w.Code, took)
			}
			if !strings.Contains(logs.String(), "over the limit of 300ms ("+GuestTimeLimitEnv+")") {
				t.Errorf("log does not name the limit: %s", logs)
			}
			waitFreeSlots(t, a)
		})
	}
}

// A request whose client goes away stops its guest, even without a limit.
func TestClientGoneStopsCoreGuest(t *testing.T) {
	a := singleApp(t, watFile(t, spinWAT(loopForever+"\n(i32.const 0)")), "/...", nil, Config{Env: []string{GuestTimeLimitEnv + "=0"}})
	if a.core.InstanceLimit() == 0 {
		t.Skip("no instance pool on this machine")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		w := do(t, a.Handler(), "GET", "/", "", func(r *http.Request) { *r = *r.WithContext(ctx) })
		done <- w.Code
	}()
	deadline := time.Now().Add(5 * time.Second)
	for a.core.InstancesInUse() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if a.core.InstancesInUse() != 1 {
		t.Fatal("the guest never started")
	}
	cancel()
	select {
	case code := <-done:
		if code != 500 {
			t.Errorf("status %d, want 500", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the guest was not stopped after its request ended")
	}
	waitFreeSlots(t, a)
}

// A guest growing its memory past SPIN_MAX_INSTANCE_MEMORY gets a failed
// memory.grow (here: a trap, so 500); without the cap it succeeds.
func TestMaxInstanceMemory(t *testing.T) {
	hog := watFile(t, spinWAT(`
    (if (i32.eq (memory.grow (i32.const 2048)) (i32.const -1)) (then unreachable)) ;; +128 MiB
    `+echoHandler(200)))
	capped := singleApp(t, hog, "/...", nil, Config{Env: []string{MaxInstanceMemoryEnv + "=16MiB"}})
	logs := &testio.Buffer{}
	if w := do(t, capped.Handler(), "GET", "/", "", withLog(logs)); w.Code != 500 {
		t.Errorf("capped: status %d, want 500", w.Code)
	}
	if !strings.Contains(logs.String(), "unreachable") {
		t.Errorf("the guest's trap is not logged: %s", logs)
	}
	free := singleApp(t, hog, "/...", nil, Config{})
	if w := do(t, free.Handler(), "GET", "/", ""); w.Code != 200 {
		t.Errorf("uncapped: status %d, want 200", w.Code)
	}
	if _, err := loadLock(t, t.Context(), newLock(t, nil, nil, nil), Config{Env: []string{MaxInstanceMemoryEnv + "=lots"}}); err == nil ||
		!strings.Contains(err.Error(), MaxInstanceMemoryEnv) {
		t.Errorf("bad %s: Load = %v", MaxInstanceMemoryEnv, err)
	}
}

// wagiWriterWAT writes CGI headers, then chunks of 64 KiB of 'x', until
// fd_write fails.
func wagiWriterWAT(chunks int) string {
	return `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 64) "Content-Type: text/plain\n\n")
  (func (export "_start") (local $i i32)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 26))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (memory.fill (i32.const 65536) (i32.const 120) (i32.const 65536))
    (i32.store (i32.const 0) (i32.const 65536))
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $l
      (if (i32.ne (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)) (i32.const 0))
        (then return))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const ` + strconv.Itoa(chunks) + `))))))`
}

// WAGI output is streamed: a 1 GiB writer over SPINOCI_MAX_WAGI_OUTPUT is
// cut at the limit (the client sees an incomplete response), logged, its
// guest stopped; nothing is written to disk and memory does not follow
// the output.
func TestWagiOutputCut(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	logs := &testio.Buffer{}
	a := singleApp(t, watFile(t, wagiWriterWAT(16384)), "/...", wagiExec("", ""),
		Config{TempDir: tmp, Env: []string{MaxWagiOutputEnv + "=8MiB"}})
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Config.BaseContext = func(net.Listener) context.Context { return logTo(logs) }
	srv.Start()
	defer srv.Close()
	rssBefore := rssBytes(t)
	start := time.Now()
	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || err == nil || n > 8<<20 || n < 1<<20 {
		t.Fatalf("status %d, %d bytes, read error %v: want 200 with the output cut (incomplete) at 8 MiB", resp.StatusCode, n, err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("took %v", took)
	}
	waitFreeSlots(t, a)
	if !strings.Contains(logs.String(), "WAGI output over the limit of 8388608 bytes ("+MaxWagiOutputEnv+"): response cut") {
		t.Errorf("the cut is not logged: %s", logs)
	}
	if grew := rssBytes(t) - rssBefore; grew > 256<<20 {
		t.Errorf("resident memory grew by %d MiB", grew>>20)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("files left in the temp dir: %v", entries)
	}
	// Small outputs are unchanged: a whole response with a length.
	b := singleApp(t, watFile(t, wagiWriterWAT(2)), "/...", wagiExec("", ""), Config{})
	w := do(t, b.Handler(), "GET", "/", "")
	if w.Code != 200 || w.Body.Len() != 2<<16 {
		t.Errorf("two chunks: %d, %d bytes", w.Code, w.Body.Len())
	}
}

// A streamed WAGI response (over the held first 64 KiB) within the limit
// arrives whole.
func TestWagiStreamsLargeOutput(t *testing.T) {
	a := singleApp(t, watFile(t, wagiWriterWAT(64)), "/...", wagiExec("", ""), Config{})
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || len(body) != 64<<16 || strings.Trim(string(body), "x") != "" {
		t.Fatalf("status %d, %d bytes, %v", resp.StatusCode, len(body), err)
	}
	if resp.ContentLength != -1 {
		t.Errorf("content length %d, want a streamed (chunked) response", resp.ContentLength)
	}
}

// rssBytes is the process's resident memory.
func rssBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip(err)
	}
	var size, rss int64
	if _, err := fmt.Sscan(string(b), &size, &rss); err != nil {
		t.Fatal(err)
	}
	return rss * int64(os.Getpagesize())
}

// On shutdown, guests still running after the drain are interrupted and
// Serve returns nil within the drain plus an epoch tick or so.
func TestServeInterruptsLoopingGuests(t *testing.T) {
	a := singleApp(t, watFile(t, spinWAT(loopForever+"\n(i32.const 0)")), "/...", nil,
		Config{ShutdownTimeout: 300 * time.Millisecond, Env: []string{GuestTimeLimitEnv + "=0"}})
	addr, stop := startServe(t, a)
	answered := make(chan int, 3)
	for range 3 {
		go func() {
			resp, err := http.Get("http://" + addr + "/")
			if err != nil {
				answered <- 0
				return
			}
			resp.Body.Close()
			answered <- resp.StatusCode
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for a.core.InstancesInUse() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Serve = %v, want nil", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("shutdown took %v with a 300ms drain", took)
	}
	if n := a.core.InstancesInUse(); n != 0 {
		t.Errorf("%d instance slots in use after Serve returned", n)
	}
	for range 3 {
		if code := <-answered; code != 0 && code != 500 {
			t.Errorf("interrupted request: status %d", code)
		}
	}
}
