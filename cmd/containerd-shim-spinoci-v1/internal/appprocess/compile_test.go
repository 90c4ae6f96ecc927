package appprocess

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spinoci/spinoci/shim/appproto"
)

// runCompileStage runs the test binary as a compile stage of the app at
// lockPath with cache and returns its last status line (an error line as
// the error) and exit error. A successful optimising stage must have said,
// before, that it had read the app's wasm (the shim removes a deleted
// task's app directory only then); no other stage says it.
func runCompileStage(t *testing.T, lockPath, cache, tier string) (appproto.Status, error, error) {
	t.Helper()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer statusR.Close()
	controlR, controlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer controlW.Close()
	args := appproto.AppArgs{LockPath: lockPath, CacheDir: cache, StateDir: t.TempDir(), CompileOnly: true, CompileTier: tier}.Encode()
	cmd := exec.Command(os.Args[0], args...)
	cmd.ExtraFiles = []*os.File{controlR, statusW}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	controlR.Close()
	statusW.Close()
	status := bufio.NewReader(statusR)
	var lines [][]byte
	for {
		line, err := status.ReadBytes('\n')
		if err != nil {
			break
		}
		lines = append(lines, line)
	}
	waitErr := cmd.Wait()
	if len(lines) == 0 {
		t.Fatalf("no status line (exit: %v)", waitErr)
	}
	st, err := appproto.ParseStatus(lines[len(lines)-1])
	saidRead := false
	for _, line := range lines[:len(lines)-1] {
		if earlier, _ := appproto.ParseStatus(line); earlier.State == appproto.StateInputsRead {
			saidRead = true
		}
	}
	if wantRead := tier == appproto.TierOptimized && err == nil; saidRead != wantRead {
		t.Errorf("stage %q said it had read its inputs: %v, want %v (status lines %q)", tier, saidRead, wantRead, lines)
	}
	return st, err, waitErr
}

// TestCompileStageTiers: the first compile stage caches fast code and says
// so, as do later ones until the optimising stage has cached the optimised
// code; then stages compile nothing.
func TestCompileStageTiers(t *testing.T) {
	lockPath, cache := writeLoopApp(t), t.TempDir()
	entries := func() []string {
		names, _ := filepath.Glob(filepath.Join(cache, "*.cwasm"))
		return names
	}
	st, err, exit := runCompileStage(t, lockPath, cache, "")
	if err != nil || exit != nil || st.State != appproto.StateReady || st.Tier != appproto.TierFast {
		t.Fatalf("first stage: %+v, %v, exit %v; want ready with tier %q", st, err, exit, appproto.TierFast)
	}
	if n := len(entries()); n != 1 {
		t.Fatalf("%d cache entries after the fast stage, want 1", n)
	}
	// Without optimised code (its stage was cut short) the next stage
	// asks for it again.
	st, err, exit = runCompileStage(t, lockPath, cache, "")
	if err != nil || exit != nil || st.Tier != appproto.TierFast || len(entries()) != 1 {
		t.Fatalf("second fast stage: %+v, %v, exit %v, %d entries", st, err, exit, len(entries()))
	}
	st, err, exit = runCompileStage(t, lockPath, cache, appproto.TierOptimized)
	if err != nil || exit != nil || st.State != appproto.StateReady || st.Tier != "" {
		t.Fatalf("optimising stage: %+v, %v, exit %v", st, err, exit)
	}
	if n := len(entries()); n != 2 {
		t.Fatalf("%d cache entries after the optimising stage, want 2", n)
	}
	for _, tier := range []string{"", appproto.TierOptimized} {
		st, err, exit = runCompileStage(t, lockPath, cache, tier)
		if err != nil || exit != nil || st.Tier != "" || len(entries()) != 2 {
			t.Fatalf("stage %q with a warm cache: %+v, %v, exit %v, %d entries", tier, st, err, exit, len(entries()))
		}
	}
	_, err, exit = runCompileStage(t, lockPath, cache, "slow")
	if err == nil || !strings.Contains(err.Error(), `--compile-tier "slow"`) {
		t.Fatalf("unknown tier: %v", err)
	}
	if e, ok := exit.(*exec.ExitError); !ok || e.ExitCode() != 1 {
		t.Fatalf("unknown tier: exit %v, want status 1", exit)
	}
}
