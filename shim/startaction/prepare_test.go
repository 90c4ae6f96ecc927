package startaction

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/containerd/containerd/v2/pkg/namespaces"

	"github.com/spinoci/spinoci/shim/appdirs"
)

// fakeApps is an appSource whose apps are an empty lock: it records the
// containerd address it was made for and the containers it materialised.
type fakeApps struct {
	mu        sync.Mutex
	addresses []string
	reads     []string // namespace/id
	// hang makes a read wait for its context's end, recorded in ended.
	hang  bool
	ended []error
}

// newFakeApps also moves the state root, where app directories go, to a
// temporary directory.
func newFakeApps(t *testing.T) *fakeApps {
	t.Helper()
	t.Setenv(appdirs.StateRootEnv, t.TempDir())
	return &fakeApps{}
}

func (f *fakeApps) source(address string) appdirs.Source {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addresses = append(f.addresses, address)
	return f
}

func (f *fakeApps) MaterializeApp(ctx context.Context, containerID, dir string, _ appdirs.FileSources) error {
	ns, _ := namespaces.Namespace(ctx)
	f.mu.Lock()
	f.reads = append(f.reads, ns+"/"+containerID)
	f.mu.Unlock()
	if f.hang {
		<-ctx.Done()
		f.mu.Lock()
		defer f.mu.Unlock()
		f.ended = append(f.ended, ctx.Err())
		return ctx.Err()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "spin.lock"), []byte("{}"), 0o600)
}

func (f *fakeApps) materialised() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reads...)
}

// TestStartPreparesTheAppOfANewServer: a container whose start starts a
// server has its app read, from the containerd that started it and in its
// namespace, and recorded in its bundle for the server's Create; a
// container joining a running server (TestStartJoinsARunningServer) and a
// pod's sandbox have none read.
func TestStartPreparesTheAppOfANewServer(t *testing.T) {
	apps := newFakeApps(t)
	dir := bundle(t, nil)
	p := params{instanceID: "c1", namespace: "k8s.io", grpcAddress: "/run/c.sock", socketDir: shortTempDir(t)}
	if _, err := start(p, RuntimeOptions{}, failingServer(t), apps.source); err != nil {
		t.Fatal(err)
	}
	if got := apps.materialised(); len(got) != 1 || got[0] != "k8s.io/c1" || apps.addresses[0] != "/run/c.sock" {
		t.Fatalf("read %v from %v, want k8s.io/c1 from /run/c.sock", got, apps.addresses)
	}
	appDir := appdirs.StateRootFor(dir).AppDir("k8s.io", "c1")
	if took := appdirs.TakePrepared(dir, appDir); took != appdirs.PreparedSpinApp {
		t.Errorf("Create takes %v from the bundle, want the app at %s", took, appDir)
	}

	bundle(t, map[string]string{appdirs.ContainerTypeAnnotation: appdirs.ContainerTypeSandbox})
	p.instanceID, p.socketDir = "pause", shortTempDir(t)
	if _, err := start(p, RuntimeOptions{}, failingServer(t), apps.source); err != nil {
		t.Fatal(err)
	}
	if got := apps.materialised(); len(got) != 1 {
		t.Errorf("a sandbox's start read an app: %v", got)
	}
}

// TestFailedStartStopsTheRead: when the server cannot be started, the read
// of the app is stopped, not waited out, before the start action fails.
func TestFailedStartStopsTheRead(t *testing.T) {
	apps := newFakeApps(t)
	apps.hang = true
	bundle(t, nil)
	p := params{instanceID: "c1", namespace: "default", grpcAddress: "/run/c.sock", socketDir: shortTempDir(t)}
	if _, err := start(p, RuntimeOptions{}, "/nonexistent/server", apps.source); err == nil {
		t.Fatal("start with a missing server binary succeeded")
	}
	apps.mu.Lock()
	defer apps.mu.Unlock()
	if len(apps.ended) != 1 || !errors.Is(apps.ended[0], context.Canceled) {
		t.Errorf("the read ended with %v, want it cancelled once", apps.ended)
	}
}
