package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// TestCompileTiers: the first start of an app serves with fast code
// (Winch's); the optimising compile stage then caches the optimised code
// in the background, and the running app keeps serving. A later start
// finds both and compiles nothing.
func TestCompileTiers(t *testing.T) {
	paths := harness.Require(t, harness.ContainerdLatest)
	reg := harness.StartRegistry(t)
	d := harness.StartContainerd(t, harness.ContainerdLatest)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	const repo = "tiers/go:v1"
	ref := pushLocal(ctx, t, paths, reg, d, repo, harness.AppSpec{
		Name:       "tiers",
		Components: []harness.AppComponent{{ID: "go", Wasm: harness.AppSpinGo, Executor: "spin"}},
		Routes:     []harness.Route{{Route: "/...", Component: "go"}},
	})
	cache := filepath.Join(d.Root, harness.RuntimeType, "cache")
	wasm, err := paths.ReadApp(harness.AppSpinGo)
	if err != nil {
		t.Fatal(err)
	}
	entries := func() []string {
		sum := sha256.Sum256(wasm)
		names, _ := filepath.Glob(filepath.Join(cache, hex.EncodeToString(sum[:])+"-*.cwasm"))
		return names
	}

	// The first start runs the fast tier's code: Winch's, in the app's
	// Winch engine (its log says so before the app serves).
	addr, out := d.RunDetached(ctx, ref, "tiers-1", harness.RunOptions{})
	if !strings.Contains(out, "running core modules' Winch code") {
		t.Errorf("the first start does not say it runs Winch code:\n%s", out)
	}
	expect(t, addr, request{path: "/go/first", status: 200})
	// Fast code first (one entry), then the optimised code beside it.
	deadline := time.Now().Add(90 * time.Second)
	for len(entries()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no optimised code cached after 90 s: %v", entries())
		}
		time.Sleep(250 * time.Millisecond)
	}
	expect(t, addr, request{path: "/go/after", status: 200})
	cleanupContainer(t, d, "tiers-1")

	addr, _ = d.RunDetached(ctx, ref, "tiers-2", harness.RunOptions{})
	expect(t, addr, request{path: "/go/second-start", status: 200})
	if n := len(entries()); n != 2 {
		t.Errorf("%d cache entries after the second start, want the same 2", n)
	}
}
