package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// TestSpinRust runs the Rust Spin 1.x module (test/apps/spin-rust) through
// containerd from a registry: its first start serves with Winch's code, the
// spin-* headers reach it, a trap is a 500 after which it serves again,
// and its stdout reaches the container's log.
func TestSpinRust(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	reg := harness.StartRegistry(t)
	d := harness.StartContainerd(t, harness.ContainerdLatest)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const repo = "rust/spin:v1"
	ref := pushLocal(ctx, t, paths, reg, d, repo, harness.AppSpec{
		Name: "spin-rust",
		Components: []harness.AppComponent{
			{ID: "hello", Wasm: harness.AppHello, Executor: "spin"},
			{ID: "rust", Wasm: harness.AppSpinRust, Executor: "spin"},
		},
		Routes: []harness.Route{{Route: "/...", Component: "hello"}, {Route: "/rust/...", Component: "rust"}},
	})

	const id = "spin-rust"
	addr := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	logPath := filepath.Join(t.TempDir(), "app.log")
	t.Cleanup(func() { cleanupContainer(t, d, id) })
	runSpin1(t, d, ref, id, addr, harness.TempDir(t, "state"), logPath) // the state dir at /.spin is unused
	// Winch compiles rustc's output: the app's log says so before it serves.
	if log := readFile(logPath); !strings.Contains(log, "running core modules' Winch code") {
		t.Errorf("the first start does not say it runs Winch code:\n%s", log)
	}
	expect(t, addr,
		request{path: "/rust", status: 200, want: "spin-rust: route=/rust path-info= method=GET\n", contentType: "text/plain"},
		request{path: "/rust/a/b?x=1", status: 200, want: "spin-rust: route=/rust path-info=/a/b method=GET\n"},
		request{method: http.MethodPost, path: "/rust/post", send: strings.Repeat("body ", 1000), status: 200,
			want: "spin-rust: route=/rust path-info=/post method=POST\n"},
		request{path: "/rustacean", status: 200, want: helloBody},
		request{path: "/rust/trap", status: 500},
		request{path: "/rust/after-trap", status: 200, want: "spin-rust: route=/rust path-info=/after-trap method=GET\n"},
	)
	if err := waitFor(10*time.Second, func() bool {
		return strings.Contains(readFile(logPath), "spin-rust handled /rust/a/b?x=1")
	}); err != nil {
		t.Errorf("the app's stdout (spin-rust handled /rust/a/b?x=1) did not reach %s: %v\n%s", logPath, err, readFile(logPath))
	}
}
