package harness

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Registry is a distribution registry serving plain HTTP on 127.0.0.1, with
// its storage in a temporary directory.
type Registry struct {
	// Host is "127.0.0.1:<port>".
	Host string

	t        T
	proc     *process
	stopOnce sync.Once
}

// StartRegistry starts the pinned registry and waits until /v2/ answers. It is
// stopped by t's cleanup (or earlier by Stop).
func StartRegistry(t T) *Registry {
	t.Helper()
	paths := LoadPaths()
	bin := paths.Registry()
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("registry binary missing (%v): run `make tools`", err)
	}
	dir := TempDir(t, "reg")
	var lastErr error
	// The free port can be taken between FreePort and the registry's bind;
	// try a few times.
	for attempt := 0; attempt < 3; attempt++ {
		r, err := startRegistry(t, bin, dir, attempt)
		if err == nil {
			return r
		}
		lastErr = err
	}
	t.Fatalf("registry: %v", lastErr)
	return nil
}

func startRegistry(t T, bin, dir string, attempt int) (*Registry, error) {
	host := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	cfgPath := filepath.Join(dir, fmt.Sprintf("config-%d.yml", attempt))
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
`, filepath.Join(dir, "storage"), host)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, fmt.Sprintf("registry-%d.log", attempt))
	// No tracing exporter: there is no collector to talk to.
	env := envWith("OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none")
	proc, err := startProcess("registry", logPath, env, bin, "serve", cfgPath)
	if err != nil {
		return nil, err
	}
	r := &Registry{Host: host, t: t, proc: proc}
	if err := r.waitReady(15 * time.Second); err != nil {
		proc.stop(2 * time.Second)
		return nil, fmt.Errorf("%w\nregistry log:\n%s", err, proc.logTail(50))
	}
	t.Cleanup(r.Stop)
	t.Logf("registry v%s on %s (storage %s)", RegistryVersion, host, dir)
	return r, nil
}

func (r *Registry) waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	url := "http://" + r.Host + "/v2/"
	for {
		if r.proc.exited() {
			return fmt.Errorf("registry exited: %v", r.proc.waitErr)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("registry did not answer %s within %v (last error: %v)", url, timeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop stops the registry (idempotent). Content already pulled into
// containerd stays usable.
func (r *Registry) Stop() {
	r.stopOnce.Do(func() {
		if r.proc.exited() {
			r.t.Errorf("registry on %s had exited by itself: %v\n%s", r.Host, r.proc.waitErr, r.proc.logTail(50))
			return
		}
		if killed := r.proc.stop(5 * time.Second); killed {
			r.t.Errorf("registry on %s did not stop within 5s of SIGTERM; killed\n%s", r.Host, r.proc.logTail(20))
		}
	})
}
