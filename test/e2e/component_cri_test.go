package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/artifact"
	"github.com/spinoci/spinoci/test/e2e/harness"
)

// repoComponentPackage is js-hello as a bare Wasm package.
const repoComponentPackage = "e2e/component-package:v1"

// TestComponentsCRI runs the components app in a pod through containerd's
// CRI plugin, driven by crictl as kubelet would (latest containerd only:
// the ctr tests cover both versions).
func TestComponentsCRI(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	if _, err := os.Stat(paths.Crictl()); err != nil {
		t.Fatalf("crictl missing (%v): run `make tools`", err)
	}
	app := componentsApp(t, paths)
	warmComponentCache(t, app)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	f := startCRIApps(ctx, t, "sccri")
	pushComponentsApp(ctx, t, f.reg.Host, app, "127.0.0.1:1")
	// js-hello alone as a bare Wasm package (one application/wasm layer):
	// served on "/...".
	jsHello, err := paths.ReadApp(appJSHello)
	if err != nil {
		t.Fatal(err)
	}
	pkg := harness.Blob{MediaType: artifact.MediaTypeWasm, Data: jsHello}
	if _, err := harness.PushManifest(ctx, f.reg.Host, repoComponentPackage,
		harness.Blob{MediaType: artifact.MediaTypeWasmConfig, Data: []byte(`{"architecture":"wasm","os":"wasip2","layerDigests":["` + pkg.Desc().Digest.String() + `"]}`)},
		[]harness.Blob{pkg}); err != nil {
		t.Fatalf("push %s: %v", repoComponentPackage, err)
	}
	pullForCRI(t, f, criRepoSandbox, repoComponents, repoComponentPackage)
	cri := f.d.Crictl()

	p := runPod(t, f, harness.PodConfig{Name: "components", HostNetwork: true})
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	id := startContainer(t, f, p, harness.ContainerConfig{
		Name: "app", Image: f.ref(repoComponents),
		Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": addr, "SPIN_VARIABLE_WHO": "kubelet"},
	})
	if _, err := harness.WaitHTTP(context.Background(), "http://"+addr+"/", 60*time.Second); err != nil {
		out, _ := cri.Run("logs", id)
		t.Fatalf("%v\nlogs:\n%s", err, out)
	}
	check(t, addr,
		exchange{path: "/", status: 200, want: "hello universe"},
		exchange{path: "/hello/pod", status: 200, want: `"Hello, pod!"`},
		exchange{path: "/var/greeting", status: 200, want: "Hello, kubelet!"},
		exchange{path: "/kv/incr/n", status: 200, want: "1\n"},
		exchange{path: "/kv/incr/n", status: 200, want: "2\n"},
		exchange{method: "POST", path: "/echo", send: "through CRI", status: 200, want: "through CRI"},
		exchange{path: "/sdk2/var", status: 200, want: "greeting=Hello, kubelet!\n"},
		exchange{path: "/trap", status: 500},
		exchange{path: "/throw", status: 500},
		exchange{path: "/", status: 200, want: "hello universe"},
	)
	if err := waitFor(10*time.Second, func() bool {
		out, _ := cri.Quiet("logs", id)
		return strings.Contains(out, "js-spin: uncaught error")
	}); err != nil {
		out, _ := cri.Run("logs", id)
		t.Errorf("crictl logs lacks the guest's stderr:\n%s", out)
	}

	// A second container in the pod: the bare Wasm package.
	pkgAddr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	pkgID := startContainer(t, f, p, harness.ContainerConfig{
		Name: "package", Image: f.ref(repoComponentPackage), Env: map[string]string{"SPIN_HTTP_LISTEN_ADDR": pkgAddr},
	})
	if _, err := harness.WaitHTTP(context.Background(), "http://"+pkgAddr+"/", 60*time.Second); err != nil {
		out, _ := cri.Run("logs", pkgID)
		t.Fatalf("%v\nlogs:\n%s", err, out)
	}
	check(t, pkgAddr,
		exchange{path: "/", status: 200, want: "hello universe"},
		exchange{path: "/hello/package", status: 200, want: `"Hello, package!"`},
	)
	for _, c := range []string{id, pkgID} {
		cri.Must("stop", c)
		cri.Must("rm", c)
	}
	removePod(t, f, p, id, pkgID)
}
