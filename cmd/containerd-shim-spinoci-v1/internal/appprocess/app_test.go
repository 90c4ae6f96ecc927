package appprocess

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spinoci/spinoci/shim/appproto"
)

// TestMain lets a test re-execute the test binary as an app process (no
// constructor runs in it: its start is known from main on).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == appproto.AppModeArg {
		os.Exit(Run(os.Args[2:], appproto.Startup{Main: time.Now().UnixNano()}))
	}
	os.Exit(m.Run())
}

// TestRunReportsLoadErrors: an app process that cannot load its app writes
// the reason as a status line on appproto.StatusFD and exits 1, the way the
// shim's Create expects it.
func TestRunReportsLoadErrors(t *testing.T) {
	appDir := filepath.Join(t.TempDir(), "no-such-app")
	cmd, _, statusR, _ := startApp(t, filepath.Join(appDir, "spin.lock"))
	line, readErr := bufio.NewReader(statusR).ReadBytes('\n')
	waitErr := cmd.Wait()
	if readErr != nil {
		t.Fatalf("reading the status line: %v", readErr)
	}
	if _, err := appproto.ParseStatus(line); err == nil || !strings.Contains(err.Error(), "no-such-app") {
		t.Errorf("status line %q: got %v, want an error naming the app directory", line, err)
	}
	if exit, ok := waitErr.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Errorf("exit: %v, want status 1", waitErr)
	}
}

// TestRunCacheOnly: an app process started cache-only reports
// StateNotCached and exits 0 while its compiled code is not in the cache
// (writing nothing there), and loads once the compile stage has filled it.
func TestRunCacheOnly(t *testing.T) {
	args := appproto.AppArgs{LockPath: writeLoopApp(t), CacheDir: filepath.Join(t.TempDir(), "cache"), StateDir: t.TempDir()}
	firstStatus := func(a appproto.AppArgs) (appproto.Status, error) {
		t.Helper()
		cmd, control, status, _ := startAppWith(t, a)
		line, err := bufio.NewReader(status).ReadBytes('\n')
		if err != nil {
			t.Fatalf("reading the status line: %v", err)
		}
		st, err := appproto.ParseStatus(line)
		if err != nil {
			t.Fatalf("status line %q: %v", line, err)
		}
		control.(io.Closer).Close() // a ready app then exits without serving
		return st, cmd.Wait()
	}

	cacheOnly := args
	cacheOnly.CacheOnly = true
	if st, err := firstStatus(cacheOnly); st.State != appproto.StateNotCached || err != nil {
		t.Fatalf("cache-only start with an empty cache: state %q, exit %v; want %q, exit 0", st.State, err, appproto.StateNotCached)
	}
	if entries, _ := os.ReadDir(args.CacheDir); len(entries) != 0 {
		t.Fatalf("the cache-only app wrote %d cache entries", len(entries))
	}
	compile := args
	compile.CompileOnly = true
	if st, err := firstStatus(compile); st.State != appproto.StateReady || err != nil {
		t.Fatalf("compile stage: state %q, exit %v", st.State, err)
	}
	st, err := firstStatus(cacheOnly)
	if st.State != appproto.StateReady || err != nil {
		t.Fatalf("cache-only start after the compile stage: state %q, exit %v; want %q", st.State, err, appproto.StateReady)
	}
	// The ready line says when the app began and when it was loaded, for
	// the shim's log of where the start went.
	if s := st.Startup; s == nil || s.Main == 0 || s.Ready < s.Main || s.Constructor != 0 {
		t.Errorf("the ready line's start-up times %+v, want main and ready (no later than main) and no constructor's", s)
	}
}

// startApp starts the test binary as an app process for the lock at
// lockPath, with its control and status pipes (closed after the test) and
// its stdout.
func startApp(t *testing.T, lockPath string) (cmd *exec.Cmd, control io.Writer, status io.Reader, stdout io.Reader) {
	t.Helper()
	return startAppWith(t, appproto.AppArgs{LockPath: lockPath, CacheDir: t.TempDir(), StateDir: t.TempDir()})
}

// startAppWith is startApp with the whole command line.
func startAppWith(t *testing.T, a appproto.AppArgs) (cmd *exec.Cmd, control io.Writer, status io.Reader, stdout io.Reader) {
	t.Helper()
	controlR, controlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { controlW.Close() })
	statusR, statusW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { statusR.Close() })
	cmd = exec.Command(os.Args[0], a.Encode()...)
	cmd.ExtraFiles = []*os.File{controlR, statusW} // appproto.ControlFD, appproto.StatusFD
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	controlR.Close()
	statusW.Close()
	return cmd, controlW, statusR, out
}
