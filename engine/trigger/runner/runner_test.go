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
	// A WASI command that writes "ran\n" and exits with 3.
	wasmPath := testApp(t, "command-exit")
	app := localApp(t, map[string]any{
		"spin_lock_version": 1,
		"metadata":          map[string]any{"name": "job"},
		"triggers":          []any{map[string]any{"id": "t", "trigger_type": "command", "trigger_config": map[string]any{"component": "job"}}},
		"components": []any{map[string]any{"id": "job",
			"source": map[string]any{"content_type": "application/wasm", "source": appdir.FileURI(wasmPath)}}},
	})
	ctx := context.Background()
	eng, trig := loadApp(ctx, t, app, engine.Config{Stdout: io.Discard, Stderr: io.Discard})
	if trig.ListensHTTP(eng) {
		t.Errorf("a command-only app wants an HTTP listener")
	}
	if status := trig.Serve(ctx, eng, nil); status != 3 {
		t.Errorf("Serve: status %d, want the command's 3", status)
	}
}

// localApp is the local app of lockJSON, a lock with file:// sources.
func localApp(t *testing.T, lockJSON map[string]any) *appdir.App {
	t.Helper()
	raw, err := json.Marshal(lockJSON)
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
	return app
}

// testApp is test/apps/<name>.wat, assembled into a file.
func testApp(t *testing.T, name string) string {
	t.Helper()
	return testwasm.Write(t, filepath.Join(t.TempDir(), name+".wasm"),
		testwasm.AssembleFile(t, filepath.Join("..", "..", "..", "test", "apps", name+".wat")))
}

// loadApp loads app and its triggers as the app process does, with
// temporary state and staging directories; the App is closed at the
// test's end.
func loadApp(ctx context.Context, t *testing.T, app *appdir.App, cfg engine.Config) (*engine.App, *Triggers) {
	t.Helper()
	cfg.TempDir, cfg.StateDir = t.TempDir(), t.TempDir()
	eng, err := engine.Load(ctx, app, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	trig, err := Load(ctx, eng, app.Lock())
	if err != nil {
		t.Fatal(err)
	}
	return eng, trig
}
