package coremodule

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// Store is the Store of one request. Close releases its instance slot too;
// nothing else does (no finalizer deletes a Store left open).
type Store struct {
	*wasmtime.Store
	// cx is the Store's context, got once (wasmtime-go asks C each time).
	cx capi.StoreContext
	// reg is the registration the Store shares, whose state is the
	// request's instanceState, the Store's data.
	reg  *storeRegistration
	host *Host // whose instance slot the Store holds, until Close
	// module is the code the Store is for (see Component.code).
	module *wasmtime.Module
	// sample, when not nil, is its instance's memory to be recorded
	// before the Store closes (memoryuse.go).
	sample *memorySample
}

// Close closes the Store and gives its instance slot back; closing it
// again does nothing.
func (s *Store) Close() {
	if s.sample != nil {
		s.sample.record(s.Store)
		s.sample = nil
	}
	capi.DeleteSharedStore(s.Store)
	if s.host != nil {
		s.reg.state.closeRedis()
		s.host.registrations.put(s.reg)
		s.reg = nil
		s.host.Slots.Release()
		s.host.Done()
		s.host = nil
	}
}

// CloseAsync is Close in the background (capi.Pool.CloseInBackground);
// Host.Wait waits for it.
func (s *Store) CloseAsync() {
	h := s.host
	if h == nil {
		s.Close()
		return
	}
	h.CloseInBackground(s.Close)
}

// StoreOptions are the WASI settings of a Store that differ from the
// component's.
type StoreOptions struct {
	Argv []string
	// Env replaces the component's environment when not nil.
	Env [][2]string
	// Stdin is the guest's stdin (copied into the Store; none: empty).
	Stdin []byte
	// StdoutFD, when HasStdoutFD, is a blocking file descriptor
	// (e.g. a pipe) that stdout is written to instead of the App's stream;
	// it must stay open until the Store is closed.
	StdoutFD    int
	HasStdoutFD bool
}

// NewStore returns a Store for one request to c: its data is the request's
// instanceState (for host imports), and WASI (for a module that imports
// any: setting up a WASI context is a good part of a small request) is
// configured with the
// component's environment (or opts.Env), argv, the read-only preopens,
// guest stdout and stderr to the App's outputs unless opts.HasStdoutFD,
// and stdin from opts.Stdin. The guest is interrupted at the next epoch
// tick once ctx is done or its time is over the Host's limit. The Store
// belongs to the Host of c's current code (see Component.UpgradeTo).
func (h *Host) NewStore(ctx context.Context, c *Component, opts StoreOptions) (*Store, error) {
	m, ch := c.code(h)
	// A retired Host's code was replaced before it was retired: the
	// replacement is there to be found.
	for !ch.Use() {
		m, ch = c.code(h)
	}
	h = ch
	if err := h.Slots.Acquire(ctx); err != nil {
		h.Done()
		return nil, err
	}
	reg := h.registrations.get(h.engine)
	reg.state = instanceState{ctx: ctx, host: h, comp: c, start: time.Now()}
	s := &Store{reg: reg, module: m}
	store, cx := capi.NewSharedStore(reg.registered, reg.watch, h.maxMemory)
	if c.importsWASI() {
		if err := h.setWASI(store, c, opts); err != nil {
			capi.DeleteSharedStore(store)
			h.registrations.put(reg)
			h.Slots.Release()
			h.Done()
			return nil, err
		}
	}
	s.Store, s.host, s.cx = store, h, cx
	return s, nil
}

// setWASI gives store the WASI context NewStore describes.
func (h *Host) setWASI(store *wasmtime.Store, c *Component, opts StoreOptions) error {
	wasi := wasmtime.NewWasiConfig()
	env := opts.Env
	if env == nil {
		env = c.Env
	}
	if len(env) > 0 { // a new WasiConfig's environment is empty
		keys, vals := make([]string, len(env)), make([]string, len(env))
		for i, kv := range env {
			keys[i], vals[i] = kv[0], kv[1]
		}
		wasi.SetEnv(keys, vals)
	}
	if opts.Argv != nil {
		wasi.SetArgv(opts.Argv)
	}
	for _, p := range c.Preopens {
		if err := wasi.PreopenDir(p.HostDir, p.GuestPath, wasmtime.DIR_READ, wasmtime.FILE_READ); err != nil {
			wasi.Close()
			return fmt.Errorf("preopen %s at %s: %w", p.HostDir, p.GuestPath, err)
		}
	}
	capi.SetStdinBytes(wasi, opts.Stdin)
	switch {
	case opts.HasStdoutFD:
		setOutput(wasi, opts.StdoutFD, false)
	case h.stdout != nil:
		setOutput(wasi, h.stdout.fd(), false)
	}
	if h.stderr != nil {
		setOutput(wasi, h.stderr.fd(), true)
	}
	store.SetWasi(wasi)
	return nil
}

// setOutput makes descriptor fd the guest's stdout (or stderr): a file
// opened on it for the Store, which Wasmtime writes in the guest's thread.
// The C API's other kind of output, a callback (capi.SetStdoutFD), made
// Wasmtime start a task on its own thread pool for each Store and hand each
// write to it, several thread switches a request (a Rust module under
// load: ~6 a request and ~30 % of its CPU; with files, 0.8). The callback
// stays the fallback where the file cannot be opened (the open-file limit
// reached: a Store holds two while it lives). fd is a pipe's write end: the
// C API opens the path as File::create does, which would truncate a file.
func setOutput(wasi *wasmtime.WasiConfig, fd int, stderr bool) {
	open, fallback := wasi.SetStdoutFile, capi.SetStdoutFD
	if stderr {
		open, fallback = wasi.SetStderrFile, capi.SetStderrFD
	}
	if open(fdPath(fd)) != nil {
		fallback(wasi, fd)
	}
}

// fdPath is a path that opens descriptor fd of this process anew.
func fdPath(fd int) string {
	return "/proc/self/fd/" + strconv.Itoa(fd)
}
