package appprocess

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/spinoci/spinoci/cmd/internal/frontenv"
	"github.com/spinoci/spinoci/shim/appproto"
	"github.com/spinoci/spinoci/test/testwasm"
)

// loopWAT is a Spin 1.x HTTP module whose handler never returns.
const loopWAT = `(module
  (memory (export "memory") 1)
  (global $next (mut i32) (i32.const 1024))
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (i32.add (local.get 3) (i32.const 8))))
    (local.get $p))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-http-request") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))`

// writeLoopApp writes an app dir whose only route runs loopWAT and
// returns its spin.lock path.
func writeLoopApp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	wasmPath := testwasm.Write(t, filepath.Join(dir, "loop.wasm"), testwasm.Assemble(t, loopWAT))
	lockJSON := `{"spin_lock_version": 0,
  "metadata": {"name": "loop", "trigger": {"type": "http", "base": "/"}},
  "triggers": [{"id": "t", "trigger_type": "http", "trigger_config": {"component": "loop", "route": "/...", "executor": {"type": "spin"}}}],
  "components": [{"id": "loop", "source": {"content_type": "application/wasm", "source": "file://` + wasmPath + `"}}]}`
	lockPath := filepath.Join(dir, "spin.lock")
	if err := os.WriteFile(lockPath, []byte(lockJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	return lockPath
}

// TestSIGTERMDrainIsBounded: an app process whose guests loop forever (no
// guest time limit) stops on SIGTERM within SPINOCI_SHUTDOWN_TIMEOUT plus
// the interruption, and exits 0.
func TestSIGTERMDrainIsBounded(t *testing.T) {
	args := appproto.AppArgs{LockPath: writeLoopApp(t), CacheDir: t.TempDir(), StateDir: t.TempDir()}.Encode()
	controlR, controlW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer controlW.Close()
	statusR, statusW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer statusR.Close()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), listenAddrEnv+"=127.0.0.1:0", frontenv.ShutdownTimeoutEnv+"=1s", "SPINOCI_GUEST_TIME_LIMIT=0")
	cmd.ExtraFiles = []*os.File{controlR, statusW} // appproto.ControlFD, appproto.StatusFD
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	controlR.Close()
	statusW.Close()
	status := bufio.NewReader(statusR)
	next := func() appproto.Status {
		line, err := status.ReadBytes('\n')
		if err != nil {
			t.Fatalf("status line: %v", err)
		}
		st, err := appproto.ParseStatus(line)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := next(); st.State != appproto.StateReady {
		t.Fatalf("first status %+v, want ready", st)
	}
	if _, err := controlW.WriteString(appproto.CommandStart); err != nil {
		t.Fatal(err)
	}
	st := next()
	if st.State != appproto.StateListening {
		t.Fatalf("second status %+v, want listening", st)
	}
	for range 2 {
		go func() {
			if resp, err := http.Get("http://" + st.Addr + "/"); err == nil {
				resp.Body.Close()
			}
		}()
	}
	time.Sleep(500 * time.Millisecond) // the guests are looping
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("exit: %v, want status 0", err)
		}
		if took := time.Since(start); took > 4*time.Second {
			t.Errorf("stopped after %v with a 1s drain", took)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the app process did not stop within 20s of SIGTERM")
	}
}
