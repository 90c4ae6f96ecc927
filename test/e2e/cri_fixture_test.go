package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/test/e2e/harness"
)

// startCRIApps starts the latest containerd with CRI (its sandbox image
// pushed to a new registry) sharing the compiled-module cache, for tests
// of one app in a pod; dirName names the fixture's directory.
func startCRIApps(ctx context.Context, t *testing.T, dirName string) *criFixture {
	t.Helper()
	f := &criFixture{version: harness.ContainerdLatest, reg: harness.StartRegistry(t), dir: harness.TempDir(t, dirName)}
	d := harness.StartContainerdWith(t, f.version, harness.ContainerdOptions{
		CRI:            &harness.CRIOptions{SandboxImage: f.ref(criRepoSandbox)},
		ModuleCacheDir: harness.SharedModuleCacheDir(),
	})
	f.d = d.InNamespace(harness.CRINamespace)
	if _, err := harness.PushLinuxImage(ctx, f.reg.Host, criRepoSandbox,
		[]harness.TarFile{{Name: "pause", Mode: 0o755, Data: []byte("#!/bin/sh\nexit 1\n")}}, []string{"/pause"}); err != nil {
		t.Fatalf("push sandbox image: %v", err)
	}
	return f
}

// pullForCRI pulls repos and waits until CRI lists them (it learns about
// images pulled outside it from containerd's events).
func pullForCRI(t *testing.T, f *criFixture, repos ...string) {
	t.Helper()
	for _, repo := range repos {
		f.d.Pull(f.ref(repo))
	}
	cri := f.d.Crictl()
	if err := waitFor(30*time.Second, func() bool {
		out, _ := cri.Quiet("images", "-q")
		return strings.Count(out, "sha256:") >= len(repos)
	}); err != nil {
		out, _ := cri.Run("images")
		t.Fatalf("CRI does not list the pulled images: %s", out)
	}
}
