package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// The JS component measured for P2 and P6: the Spin 3 http-js template.
const jsApp = "js-hello.wasm"

// staticFiles is how many static files (data layers) the P5 app has.
const staticFiles = 20

// workloads are the pushed apps and the native image.
type workloads struct {
	hello, spinGo, js, files, runc workload
	nativeBin                      string // the native server, for wrk on the host
	filesBytes                     int64  // total size of the P5 app's static files
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
	ws.spinGo = spin("spin-go", "spin-go (Go wasip1 module)", harness.AppSpinGo, harness.AppSpec{Name: "spin-go",
		Components: []harness.AppComponent{{ID: "spin-go", Wasm: harness.AppSpinGo, Executor: "spin"}},
		Routes:     []harness.Route{{Route: "/...", Component: "spin-go"}}})

	filesDir := filepath.Join(work, "static")
	ws.filesBytes = writeStaticFiles(t, filesDir, fileMB)
	withFiles := harness.HelloApp()
	withFiles.Name = "hello-files"
	withFiles.Components[0].Files = filesDir
	ws.files = spin("files", fmt.Sprintf("Spin hello + %d × %d MB static files", staticFiles, fileMB), harness.AppHello, withFiles)

	js, err := jsLock(paths.App(jsApp))
	if err != nil {
		t.Fatalf("%v", err)
	}
	if _, err := harness.Push(ctx, registry, "bench/js:v1", js, artifact.PackOptions{}); err != nil {
		t.Fatalf("%v", err)
	}
	st, _ := os.Stat(paths.App(jsApp))
	ws.js = workload{key: "js", name: "js-hello (Spin 3 http-js component)", ref: harness.Ref(registry, "bench/js:v1"),
		runtime: harness.RuntimeType, env: "SPIN_HTTP_LISTEN_ADDR", path: "/", size: st.Size()}

	ws.nativeBin = buildNative(t, work)
	bin, err := os.ReadFile(ws.nativeBin)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if _, err := harness.PushLinuxImage(ctx, registry, "bench/native:v1",
		[]harness.TarFile{{Name: "hello", Mode: 0o755, Data: bin}}, []string{"/hello"}); err != nil {
		t.Fatalf("%v", err)
	}
	ws.runc = workload{key: "runc", name: "native Go hello (static) in runc", ref: harness.Ref(registry, "bench/native:v1"),
		runtime: "io.containerd.runc.v2", env: "ADDR", path: "/", size: int64(len(bin))}
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

// jsLock is the local lock of an app of one JS component on "/...".
func jsLock(wasm string) (*lock.LockedApp, error) {
	if _, err := os.Stat(wasm); err != nil {
		return nil, fmt.Errorf("%w (run `make testapps`)", err)
	}
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	return &lock.LockedApp{
		Metadata: map[string]json.RawMessage{"name": raw("bench-js"), "trigger": raw(map[string]string{"type": "http", "base": "/"})},
		Components: []lock.Component{{ID: "js", Source: lock.ComponentSource{
			ContentType: "application/wasm", ContentRef: lock.ContentRef{Source: appdir.FileURI(wasm)},
		}, Metadata: map[string]json.RawMessage{"key_value_stores": raw([]string{"default"})}}},
		Triggers: []lock.Trigger{{ID: "t-js", TriggerType: "http",
			TriggerConfig: raw(map[string]any{"component": "js", "route": "/..."})}},
	}, nil
}
