package appprocess

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/shim/appproto"
	"github.com/spinoci/spinoci/test/testwasm"
)

// commandModule is test/apps/command-exit.wat: a WASI command that writes
// "ran\n" and exits with 3.
var commandModule = filepath.Join("..", "..", "..", "..", "test", "apps", "command-exit.wat")

// TestRunCommandApp: an app whose only trigger is a command reports that it
// started without an address (it listens nowhere), runs the command once,
// with its output on the process's stdout, and exits with its status.
func TestRunCommandApp(t *testing.T) {
	dir := t.TempDir()
	wasmPath := testwasm.Write(t, filepath.Join(dir, "cmd.wasm"), testwasm.AssembleFile(t, commandModule))
	lk, err := json.Marshal(map[string]any{
		"spin_lock_version": 1,
		"metadata":          map[string]any{"name": "job", "trigger": map[string]any{"type": "command"}},
		"triggers":          []any{map[string]any{"id": "t", "trigger_type": "command", "trigger_config": map[string]any{"component": "job"}}},
		"components": []any{map[string]any{"id": "job",
			"source": map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(wasmPath)}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, appdir.LockFileName)
	if err := os.WriteFile(lockPath, lk, 0o644); err != nil {
		t.Fatal(err)
	}

	cmd, control, statusR, stdout := startApp(t, lockPath)
	status := bufio.NewReader(statusR)
	next := func() appproto.Status {
		t.Helper()
		line, err := status.ReadBytes('\n')
		if err != nil {
			t.Fatalf("reading a status line: %v", err)
		}
		st, err := appproto.ParseStatus(line)
		if err != nil {
			t.Fatalf("status: %v", err)
		}
		return st
	}
	if st := next(); st.State != appproto.StateReady {
		t.Fatalf("first status %+v, want ready", st)
	}
	if _, err := io.WriteString(control, appproto.CommandStart); err != nil {
		t.Fatal(err)
	}
	if st := next(); st.State != appproto.StateListening || st.Addr != "" {
		t.Errorf("after start: %+v, want listening without an address", st)
	}
	out, _ := io.ReadAll(stdout)
	err = cmd.Wait()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 3 {
		t.Errorf("exit: %v, want status 3", err)
	}
	if string(out) != "ran\n" {
		t.Errorf("stdout %q, want the command's output", out)
	}
}
