package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/spinoci/spinoci/artifact"
)

func TestComponentBinaryIsWat2WasmOfEmptyComponent(t *testing.T) {
	want, err := wasmtime.Wat2Wasm("(component)")
	if err != nil {
		t.Fatalf("Wat2Wasm: %v", err)
	}
	if got := ComponentBinary(); !bytes.Equal(got, want) {
		t.Fatalf("ComponentBinary() = % x, Wat2Wasm(\"(component)\") = % x", got, want)
	}
}

func TestSplitRepoTag(t *testing.T) {
	for _, tc := range []struct {
		in, repo, tag string
		ok            bool
	}{
		{"e2e/app:v1", "e2e/app", "v1", true},
		{"app:latest", "app", "latest", true},
		{"e2e/app", "", "", false},
		{"a:b/c", "", "", false},
	} {
		repo, tag, ok := splitRepoTag(tc.in)
		if repo != tc.repo || tag != tc.tag || ok != tc.ok {
			t.Errorf("splitRepoTag(%q) = %q, %q, %v; want %q, %q, %v", tc.in, repo, tag, ok, tc.repo, tc.tag, tc.ok)
		}
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	if got := unescapeMountinfo(`/tmp/a\040b\134c`); got != `/tmp/a b\c` {
		t.Fatalf("got %q", got)
	}
}

func TestLocalLockOfMultiApp(t *testing.T) {
	p := LoadPaths()
	for _, a := range []string{AppHello, AppSpinGo, AppWagiGo} {
		if _, err := os.Stat(p.App(a)); err != nil {
			t.Skipf("test apps not built (%v): run `make testapps`", err)
		}
	}
	files := t.TempDir()
	if err := os.WriteFile(filepath.Join(files, "a.txt"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	app, err := p.LocalLock(MultiApp(files))
	if err != nil {
		t.Fatalf("LocalLock: %v", err)
	}
	if len(app.Components) != 3 || len(app.Triggers) != 4 {
		t.Fatalf("got %d components, %d triggers", len(app.Components), len(app.Triggers))
	}
	path, err := WriteLock(t.TempDir(), app)
	if err != nil {
		t.Fatalf("WriteLock: %v", err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"route": "/go/exact"`) || !strings.Contains(string(b), `"type": "wagi"`) {
		t.Fatalf("lock lacks routes or executors:\n%s", b)
	}
}

// TestRegistryContainerdPull checks the harness against the real parts (no
// shim needed): a registry, both containerd versions, pushes of each kind of
// artifact, `ctr image pull` of each, and a clean stop.
func TestRegistryContainerdPull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (containerd)")
	}
	p := LoadPaths()
	hello, err := p.ReadApp(AppHello)
	if err != nil {
		t.Skipf("%v", err)
	}
	reg := StartRegistry(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	app, err := p.LocalLock(MultiApp(""))
	if err != nil {
		t.Skipf("test apps: %v", err)
	}
	if _, err := Push(ctx, reg.Host, "e2e/multi:v1", app, artifact.PackOptions{}); err != nil {
		t.Fatalf("Push: %v", err)
	}
	if _, err := PushLinuxImage(ctx, reg.Host, "e2e/linux:v1", []TarFile{{Name: "hello", Mode: 0o755, Data: []byte("#!/bin/sh\necho hi\n")}}, []string{"/hello"}); err != nil {
		t.Fatalf("PushLinuxImage: %v", err)
	}
	wasm := WasmLayer(hello)
	lk := SingleComponentLock(wasm.Desc().Digest, "spin", nil)
	if _, err := PushSpinB(ctx, reg.Host, "e2e/hand:v1", lk.JSON(), []Blob{wasm}); err != nil {
		t.Fatalf("PushSpinB: %v", err)
	}

	for _, v := range ContainerdVersions() {
		t.Run("containerd-"+v, func(t *testing.T) {
			d := StartContainerd(t, v)
			for _, repo := range []string{"e2e/multi:v1", "e2e/linux:v1", "e2e/hand:v1"} {
				d.Pull(Ref(reg.Host, repo))
			}
			out, _ := d.Ctr("image", "ls", "-q")
			for _, repo := range []string{"e2e/multi:v1", "e2e/linux:v1", "e2e/hand:v1"} {
				if !strings.Contains(out, Ref(reg.Host, repo)) {
					t.Errorf("image ls lacks %s:\n%s", repo, out)
				}
			}
			if _, err := os.Stat(d.BlobPath(wasm.Desc().Digest)); err != nil {
				t.Errorf("hello wasm blob not in the content store: %v", err)
			}
			if len(d.SocketDir) > 42 {
				t.Errorf("socket dir too long: %s", d.SocketDir)
			}
		})
	}
}

func TestStatFields(t *testing.T) {
	stat := []byte("42 (a (b) c) S 7 42 42 0 -1 4194304 10 0 0 0 250 31 0 0 20 0 1 0")
	f, ok := statFields(stat)
	if !ok || f[0] != "S" || f[1] != "7" || f[11] != "250" || f[12] != "31" {
		t.Errorf("statFields = %q, %v; want state S, ppid 7, utime 250, stime 31", f, ok)
	}
	if _, ok := statFields([]byte("garbage")); ok {
		t.Error("parsed a stat without a command")
	}
	if _, ok := statFields([]byte("42 (x) S 7 42")); ok {
		t.Error("parsed a stat without the time fields")
	}
	self := os.Getpid()
	if ppid, err := ParentPID(self); err != nil || ppid != os.Getppid() {
		t.Errorf("ParentPID(self) = %d, %v; want %d", ppid, err, os.Getppid())
	}
	if !ProcessAlive(self) {
		t.Error("ProcessAlive(self) = false")
	}
}

// TestProcessAliveSkipsZombies: a running process is alive; an exited one
// is not, whether still a zombie (not yet waited for) or gone.
func TestProcessAliveSkipsZombies(t *testing.T) {
	cmd := exec.Command("sh", "-c", "read line")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if !ProcessAlive(pid) {
		t.Errorf("running process %d: not alive", pid)
	}
	stdin.Close() // the shell reads EOF and exits: a zombie until waited for
	deadline := time.Now().Add(5 * time.Second)
	for ProcessAlive(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if ProcessAlive(pid) {
		t.Errorf("exited process %d: still alive", pid)
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err != nil || !strings.Contains(string(stat), ") Z ") {
		t.Errorf("process %d should be a zombie until waited for: %q, %v", pid, stat, err)
	}
	_ = cmd.Wait()
	if ProcessAlive(pid) {
		t.Errorf("reaped process %d: alive", pid)
	}
}

func TestProcessCPU(t *testing.T) {
	if _, err := ProcessCPU(-1); err == nil {
		t.Error("ProcessCPU(-1) did not fail")
	}
	before, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn CPU until the kernel's tick-granular count moves.
	deadline := time.Now().Add(5 * time.Second)
	x := 0
	for time.Now().Before(deadline) {
		for i := range 1 << 20 {
			x += i
		}
		after, err := ProcessCPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if after > before {
			return
		}
	}
	t.Errorf("ProcessCPU did not grow after 5 s of work (%d)", x)
}

func TestParseTaskList(t *testing.T) {
	out := "TASK        PID      STATUS    \nweb-a       4242     RUNNING\nweb-b       0        CREATED\n\nweb-c       4300     STOPPED\nnot a row\n"
	want := []Task{{ID: "web-a", PID: 4242, Status: "RUNNING"}, {ID: "web-b", PID: 0, Status: "CREATED"}, {ID: "web-c", PID: 4300, Status: "STOPPED"}}
	if got := ParseTaskList(out); !slices.Equal(got, want) {
		t.Errorf("ParseTaskList:\n got %v\nwant %v", got, want)
	}
	if got := ParseTaskList("TASK    PID    STATUS\n"); len(got) != 0 {
		t.Errorf("ParseTaskList of the header alone = %v, want no tasks", got)
	}
}

// TestOnlyLingering: what is left after a daemon's stop gets more time only
// when it is shim servers finishing their optimising stages (up to two
// minutes) or shim servers alone, shutting down once a stage has ended.
func TestOnlyLingering(t *testing.T) {
	shim := Proc{PID: 1, Cmdline: []string{"/x/bin/" + ServerBinary, "-namespace", "n", "-id", "a"}}
	stage := Proc{PID: 2, Cmdline: []string{"/x/bin/" + ShimBinary + "-app", "app", "--lock", "l", "--compile-only", "--compile-tier", "optimized"}}
	app := Proc{PID: 3, Cmdline: []string{"/x/bin/" + ShimBinary + "-app", "app", "--lock", "l"}}
	ctr := Proc{PID: 4, Cmdline: []string{"/x/bin/ctr", "run"}}
	for _, c := range []struct {
		name  string
		procs []Proc
		want  bool
	}{
		{"a shim and its compile stage", []Proc{shim, stage}, true},
		{"nothing left", nil, false},
		{"a shim alone", []Proc{shim}, false},
		{"a serving app beside a stage", []Proc{shim, stage, app}, false},
		{"a ctr client beside a stage", []Proc{stage, ctr}, false},
	} {
		if got := onlyLingering(c.procs); got != c.want {
			t.Errorf("%s: onlyLingering = %v, want %v", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		name  string
		procs []Proc
		want  bool
	}{
		{"a shim alone", []Proc{shim}, true},
		{"two shims", []Proc{shim, {PID: 5, Cmdline: shim.Cmdline}}, true},
		{"nothing left", nil, false},
		{"a shim and its compile stage", []Proc{shim, stage}, false},
		{"a shim and its app", []Proc{shim, app}, false},
		{"a ctr client", []Proc{ctr}, false},
	} {
		if got := onlyServers(c.procs); got != c.want {
			t.Errorf("%s: onlyServers = %v, want %v", c.name, got, c.want)
		}
	}
}
