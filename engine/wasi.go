package engine

import (
	"context"
	"fmt"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// requestStore is the Store of one request. Close releases its instance
// slot too.
type requestStore struct {
	*wasmtime.Store
	release func()
}

// Close closes the Store and gives its instance slot back.
func (s *requestStore) Close() {
	s.Store.Close()
	s.release()
}

// acquireSlot waits for a free instance slot when the engine's instance
// pool is bounded, and returns the function that frees it.
func (h *host) acquireSlot(ctx context.Context) (func(), error) {
	if h.slots == nil {
		return func() {}, nil
	}
	release := func() { <-h.slots }
	select {
	case h.slots <- struct{}{}: // a free slot, even if ctx has ended
		return release, nil
	default:
	}
	select {
	case h.slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a free instance slot: %w", ctx.Err())
	}
}

// newStore returns a Store for one request to c: its data is the
// request's instanceState (for host imports), and WASI is configured with
// the component's environment (or env when given), argv, the read-only
// preopens, guest stdout/stderr to the App's streams unless stdoutPath is
// set, and stdin from stdinPath when set.
func (c *component) newStore(ctx context.Context, argv []string, env [][2]string, stdinPath, stdoutPath string) (_ *requestStore, err error) {
	release, err := c.host.acquireSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	wasi := wasmtime.NewWasiConfig()
	if env == nil {
		env = c.env
	}
	if len(env) > 0 { // a new WasiConfig's environment is empty
		keys, vals := make([]string, len(env)), make([]string, len(env))
		for i, kv := range env {
			keys[i], vals[i] = kv[0], kv[1]
		}
		wasi.SetEnv(keys, vals)
	}
	if argv != nil {
		wasi.SetArgv(argv)
	}
	for _, p := range c.preopens {
		if err := wasi.PreopenDir(p.hostDir, p.guestPath, wasmtime.DIR_READ, wasmtime.FILE_READ); err != nil {
			wasi.Close()
			return nil, fmt.Errorf("preopen %s at %s: %w", p.hostDir, p.guestPath, err)
		}
	}
	if stdinPath != "" {
		if err := wasi.SetStdinFile(stdinPath); err != nil {
			wasi.Close()
			return nil, fmt.Errorf("WASI stdin: %w", err)
		}
	}
	switch {
	case stdoutPath != "":
		if err := wasi.SetStdoutFile(stdoutPath); err != nil {
			wasi.Close()
			return nil, fmt.Errorf("WASI stdout: %w", err)
		}
	case c.host.stdout != nil:
		capi.SetStdoutFD(wasi, c.host.stdout.fd())
	}
	if c.host.stderr != nil {
		capi.SetStderrFD(wasi, c.host.stderr.fd())
	}
	store := wasmtime.NewStoreWithData(c.host.engine, &instanceState{ctx: ctx, comp: c})
	store.SetWasi(wasi)
	return &requestStore{Store: store, release: release}, nil
}
