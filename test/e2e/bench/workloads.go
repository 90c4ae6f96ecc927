package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// The JS component measured for P2 and P6: the Spin 3 http-js template;
// and a second one, for an app of two components.
const (
	jsApp       = "js-hello.wasm"
	jsSecondApp = "js-spin.wasm"
)

// startGroup is the server group of the hello-shared workload.
const startGroup = "bench-start"

// staticFiles is how many static files (data layers) the P5 app has.
const staticFiles = 20

// workloads are the pushed apps and the native image.
type workloads struct {
	hello, spinGo, spinRust, js, js2, files, runc workload
	// helloShared is hello in a server group: its cached starts join a
	// shim server that another container of the group keeps running.
	helloShared workload
	// floor is the start floor (package startfloor): spinoci's start
	// action and shim server answering 200 themselves.
	floor workload
	// requestFloor is P3's bound (engine/internal/requestfloor): fasthttp
	// answering from a fresh Wasmtime instance of hello per request, in
	// runc.
	requestFloor workload
	nativeBin    string // the native server's binary (the runc workload's image)
	filesBytes   int64  // total size of the P5 app's static files
}

// floorRuntime is the runtime type of the start floor shim.
const floorRuntime = "io.containerd.startfloor.v1"

// buildFloorShim builds the start floor's shim into dir: spinoci's own shim
// binary (the start action) as containerd-shim-startfloor-v1, which runs the
// floor's server (./startfloor) from containerd-shim-startfloor-v1-server,
// as spinoci's runs its server.
func buildFloorShim(t harness.T, dir string) {
	for _, b := range []struct{ out, pkg, cgo string }{
		{"containerd-shim-startfloor-v1", "./cmd/containerd-shim-spinoci-v1", "0"}, // as make build
		{"containerd-shim-startfloor-v1-server", "./test/e2e/bench/startfloor", "1"},
	} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, b.out), b.pkg)
		build.Dir = harness.RepoRoot()
		build.Env = append(os.Environ(), "CGO_ENABLED="+b.cgo)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
}

// buildNative builds the static native Go hello server into dir.
func buildNative(t harness.T, dir string) string {
	native := filepath.Join(dir, "hello")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", native, "./test/e2e/bench/nativehello")
	build.Dir = harness.RepoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build nativehello: %v\n%s", err, out)
	}
	return native
}

// buildRequestFloor builds the request floor's server into dir, static
// (linked with libwasmtime.a and the C library) for an image of its own.
// The linker's warnings about the C library's name lookups, which it never
// does, are left in its output.
func buildRequestFloor(t harness.T, dir string) string {
	floor := filepath.Join(dir, "requestfloor")
	build := exec.Command("go", "build", "-trimpath", "-tags", "netgo,osusergo",
		"-ldflags=-s -w -linkmode external -extldflags -static", "-o", floor, "./engine/internal/requestfloor")
	build.Dir = harness.RepoRoot()
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build requestfloor: %v\n%s", err, out)
	}
	return floor
}

// pushLinuxServer pushes an image bench/repo:v1 of the static server bin
// (with extra files) and returns its runc workload.
func pushLinuxServer(ctx context.Context, t harness.T, registry, repo, key, name, bin string, extra ...harness.TarFile) workload {
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatalf("%v", err)
	}
	repo = "bench/" + repo + ":v1"
	files := append([]harness.TarFile{{Name: "server", Mode: 0o755, Data: data}}, extra...)
	if _, err := harness.PushLinuxImage(ctx, registry, repo, files, []string{"/server"}); err != nil {
		t.Fatalf("%v", err)
	}
	return workload{key: key, name: name, ref: harness.Ref(registry, repo), runtime: "io.containerd.runc.v2",
		env: "ADDR", path: "/", size: int64(len(data))}
}

// pushWorkloads pushes every workload to the registry.
func pushWorkloads(t harness.T, paths harness.Paths, registry, work string, fileMB int) workloads {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var ws workloads
	spin := func(key, name, wasm string, spec harness.AppSpec) workload {
		app, err := paths.LocalLock(spec)
		if err != nil {
			t.Fatalf("%s: %v (run `make testapps`)", key, err)
		}
		repo := "bench/" + key + ":v1"
		if _, err := harness.Push(ctx, registry, repo, app, artifact.PackOptions{}); err != nil {
			t.Fatalf("%v", err)
		}
		st, err := os.Stat(paths.App(wasm))
		if err != nil {
			t.Fatalf("%v", err)
		}
		return workload{key: key, name: name, ref: harness.Ref(registry, repo), runtime: harness.RuntimeType,
			env: "SPIN_HTTP_LISTEN_ADDR", path: "/", size: st.Size()}
	}
	ws.hello = spin("hello", "Spin hello (WAT module)", harness.AppHello, harness.HelloApp())
	ws.helloShared = ws.hello
	ws.helloShared.key = "hello-shared"
	ws.helloShared.name = "Spin hello joining a running shim server (group annotation)"
	ws.helloShared.annotations = []string{harness.GroupAnnotation + "=" + startGroup}
	ws.helloShared.joinsServer = true
	ws.spinGo = spin("spin-go", "spin-go (Go wasip1 module)", harness.AppSpinGo, harness.AppSpec{Name: "spin-go",
		Components: []harness.AppComponent{{ID: "spin-go", Wasm: harness.AppSpinGo, Executor: "spin"}},
		Routes:     []harness.Route{{Route: "/...", Component: "spin-go"}}})
	ws.spinRust = spin("spin-rust", "spin-rust (Rust wasm32-wasi module)", harness.AppSpinRust, harness.AppSpec{Name: "spin-rust",
		Components: []harness.AppComponent{{ID: "spin-rust", Wasm: harness.AppSpinRust, Executor: "spin"}},
		Routes:     []harness.Route{{Route: "/...", Component: "spin-rust"}}})

	filesDir := filepath.Join(work, "static")
	ws.filesBytes = writeStaticFiles(t, filesDir, fileMB)
	withFiles := harness.HelloApp()
	withFiles.Name = "hello-files"
	withFiles.Components[0].Files = filesDir
	ws.files = spin("files", fmt.Sprintf("Spin hello + %d × %d MB static files", staticFiles, fileMB), harness.AppHello, withFiles)

	jsWorkload := func(key, name string, components []jsComponent) workload {
		app, size, err := jsLock(paths, components)
		if err != nil {
			t.Fatalf("%v", err)
		}
		repo := "bench/" + key + ":v1"
		if _, err := harness.Push(ctx, registry, repo, app, artifact.PackOptions{}); err != nil {
			t.Fatalf("%v", err)
		}
		return workload{key: key, name: name, ref: harness.Ref(registry, repo), runtime: harness.RuntimeType,
			env: "SPIN_HTTP_LISTEN_ADDR", path: "/", size: size}
	}
	ws.js = jsWorkload("js", "js-hello (Spin 3 http-js component)", []jsComponent{{jsApp, "/..."}})
	ws.js2 = jsWorkload("js2", "js-hello + js-spin (two JS components)", []jsComponent{{jsApp, "/..."}, {jsSecondApp, "/kv/..."}})

	ws.floor = workload{key: "floor", name: "start floor: spinoci's start action and shim server answering 200 themselves",
		ref: ws.hello.ref, runtime: floorRuntime, env: "SPIN_HTTP_LISTEN_ADDR", path: "/"}

	ws.nativeBin = buildNative(t, work)
	ws.runc = pushLinuxServer(ctx, t, registry, "native", "runc", "native Go hello (static) in runc", ws.nativeBin)
	hello, err := os.ReadFile(paths.App(harness.AppHello))
	if err != nil {
		t.Fatalf("%v", err)
	}
	ws.requestFloor = pushLinuxServer(ctx, t, registry, "requestfloor", "requestfloor",
		"request floor: the native server answering from a fresh Wasmtime instance of hello (runc)",
		buildRequestFloor(t, work), harness.TarFile{Name: "hello.wasm", Data: hello})
	return ws
}

// writeStaticFiles writes staticFiles files of mb MB (10^6 bytes) of pseudo-random
// bytes (so no layer is shared or compressible) and returns their total size.
func writeStaticFiles(t harness.T, dir string, mb int) int64 {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("%v", err)
	}
	buf := make([]byte, mb*1_000_000)
	for i := range staticFiles {
		rng := rand.NewChaCha8([32]byte{byte(i), byte(mb)})
		_, _ = rng.Read(buf)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("blob-%02d.bin", i)), buf, 0o644); err != nil {
			t.Fatalf("writing the static files: %v", err)
		}
	}
	return int64(staticFiles) * int64(len(buf))
}

// jsComponent is a JS test app on a route.
type jsComponent struct{ wasm, route string }

// jsLock is the local lock of an app of JS components, and their total
// size.
func jsLock(paths harness.Paths, components []jsComponent) (*lock.LockedApp, int64, error) {
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	app := &lock.LockedApp{Metadata: map[string]json.RawMessage{
		"name": raw("bench-js"), "trigger": raw(map[string]string{"type": "http", "base": "/"}),
	}}
	var size int64
	for _, c := range components {
		path := paths.App(c.wasm)
		st, err := os.Stat(path)
		if err != nil {
			return nil, 0, fmt.Errorf("%w (run `make testapps`)", err)
		}
		size += st.Size()
		id := strings.TrimSuffix(c.wasm, ".wasm")
		app.Components = append(app.Components, lock.Component{ID: id, Source: lock.ComponentSource{
			ContentType: "application/wasm", ContentRef: lock.ContentRef{Source: appdir.FileURI(path)},
		}, Metadata: map[string]json.RawMessage{"key_value_stores": raw([]string{"default"})}})
		app.Triggers = append(app.Triggers, lock.Trigger{ID: "t-" + id, TriggerType: "http",
			TriggerConfig: raw(map[string]any{"component": id, "route": c.route})})
	}
	return app, size, nil
}
