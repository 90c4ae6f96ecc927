package runner

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/engine"
	"github.com/spinoci/spinoci/lock"
	"github.com/spinoci/spinoci/test/testwasm"
)

// TestCommandApp: an app whose only trigger is a command needs no HTTP
// listener; Serve runs the command once and returns its status.
func TestCommandApp(t *testing.T) {
	dir := t.TempDir()
	// A WASI command that writes "ran\n" and exits with 3.
	wasmPath := testwasm.Write(t, filepath.Join(dir, "exit.wasm"),
		testwasm.AssembleFile(t, filepath.Join("..", "..", "..", "test", "apps", "command-exit.wat")))
	raw, err := json.Marshal(map[string]any{
		"spin_lock_version": 1,
		"metadata":          map[string]any{"name": "job"},
		"triggers":          []any{map[string]any{"id": "t", "trigger_type": "command", "trigger_config": map[string]any{"component": "job"}}},
		"components": []any{map[string]any{"id": "job",
			"source": map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(wasmPath)}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	lk, err := lock.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	app, err := appdir.FromLocal(lk)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	eng, err := engine.Load(ctx, app, engine.Config{Stdout: io.Discard, Stderr: io.Discard, TempDir: t.TempDir(), StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	trig, err := Load(ctx, eng, app.Lock())
	if err != nil {
		t.Fatal(err)
	}
	if trig.ListensHTTP(eng) {
		t.Errorf("a command-only app wants an HTTP listener")
	}
	if status := trig.Serve(ctx, eng, nil); status != 3 {
		t.Errorf("Serve: status %d, want the command's 3", status)
	}
}
