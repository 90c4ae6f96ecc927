package engine

import (
	"context"
	"fmt"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// newStore returns a Store for one request to c: its data is the
// request's instanceState (for host imports), and WASI is configured with
// the component's environment (or env when given), argv, the read-only
// preopens, guest stdout/stderr to the App's streams unless stdoutPath is
// set, and stdin from stdinPath when set.
func (c *component) newStore(ctx context.Context, argv []string, env [][2]string, stdinPath, stdoutPath string) (*wasmtime.Store, error) {
	wasi := wasmtime.NewWasiConfig()
	if env == nil {
		env = c.env
	}
	keys, vals := make([]string, len(env)), make([]string, len(env))
	for i, kv := range env {
		keys[i], vals[i] = kv[0], kv[1]
	}
	wasi.SetEnv(keys, vals)
	if argv != nil {
		wasi.SetArgv(argv)
	}
	for _, p := range c.preopens {
		if err := wasi.PreopenDir(p.hostDir, p.guestPath, wasmtime.DIR_READ, wasmtime.FILE_READ); err != nil {
			wasi.Close()
			return nil, fmt.Errorf("preopen %s at %s: %w", p.hostDir, p.guestPath, err)
		}
	}
	setFile := func(what, path string, set func(string) error) error {
		if path == "" {
			return nil
		}
		if err := set(path); err != nil {
			return fmt.Errorf("WASI %s: %w", what, err)
		}
		return nil
	}
	stdout := stdoutPath
	if stdout == "" && c.host.stdout != nil {
		stdout = c.host.stdout.path()
	}
	var stderr string
	if c.host.stderr != nil {
		stderr = c.host.stderr.path()
	}
	for _, f := range []struct {
		what, path string
		set        func(string) error
	}{
		{"stdin", stdinPath, wasi.SetStdinFile},
		{"stdout", stdout, wasi.SetStdoutFile},
		{"stderr", stderr, wasi.SetStderrFile},
	} {
		if err := setFile(f.what, f.path, f.set); err != nil {
			wasi.Close()
			return nil, err
		}
	}
	store := wasmtime.NewStoreWithData(c.host.engine, &instanceState{ctx: ctx, comp: c})
	store.SetWasi(wasi)
	return store, nil
}
