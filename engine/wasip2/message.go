package wasip2

import (
	"context"
	"errors"
	"fmt"

	"github.com/spinoci/spinoci/engine/internal/capi"
)

// Exports of components run by the non-HTTP triggers.
const (
	// InboundRedisExport is the Redis trigger's interface (Spin 2+):
	// handle-message: func(message: payload) -> result<_, error>.
	InboundRedisExport = "fermyon:spin/inbound-redis@2.0.0"
	// InboundRedisExportV1 is the same interface unversioned, as Spin 1.x
	// modules componentized by `spin registry push` export it.
	InboundRedisExportV1 = "fermyon:spin/inbound-redis"
	// MQTTHandlerExport is the spin-trigger-mqtt plugin's world-level
	// export: handle-message: func(message: payload, metadata: metadata)
	// -> result<_, error>, metadata being record { topic: string }.
	MQTTHandlerExport = "handle-message"
	// cliRunInterface is wasi:cli/run; the version is looked up.
	cliRunInterface = "wasi:cli/run@0.2."
)

// ErrGuestFailed wraps the error a message handler returned (the guest ran
// to completion and returned an error case).
var ErrGuestFailed = errors.New("the guest returned an error")

// Exported returns the first of names that c exports with function fn.
func Exported(c *capi.Component, fn string, names ...string) (string, bool) {
	for _, n := range names {
		if c.HasExport(n, fn) {
			return n, true
		}
	}
	return "", false
}

// CLIRunExport returns the wasi:cli/run@0.2.x interface c exports, if any.
func CLIRunExport(c *capi.Component) (string, bool) {
	for patch := 0; patch <= 20; patch++ {
		name := fmt.Sprintf("%s%d", cliRunInterface, patch)
		if c.HasExport(name, "run") {
			return name, true
		}
	}
	return "", false
}

// CallResult calls the function at path (an interface and a function, or a
// world-level function) of hd.Component with args in a fresh Store. The
// function returns result<_, E>: an error case is returned wrapping
// ErrGuestFailed, with the error value described.
func (h *Host) CallResult(ctx context.Context, hd *Handler, path []string, args ...capi.Val) error {
	_, err := h.call(ctx, hd, path, args)
	return err
}

// Run calls hd.Component's wasi:cli/run run function (hd.Export names the
// interface) in a fresh Store and returns the exit status: 0 when run
// returns ok or the guest exits with success, 1 otherwise. err is set when
// the guest trapped (other than by exiting).
func (h *Host) Run(ctx context.Context, hd *Handler) (status int, err error) {
	st, err := h.call(ctx, hd, []string{hd.Export, "run"}, nil)
	if st != nil && st.exit != nil {
		return *st.exit, nil
	}
	if errors.Is(err, ErrGuestFailed) {
		return 1, nil
	}
	if err != nil {
		return 1, err
	}
	return 0, nil
}

// exportFunc instantiates hd.Component in a fresh Store and looks up the
// function at path; release frees the Store.
func (h *Host) exportFunc(ctx context.Context, hd *Handler, path ...string) (st *State, f *capi.Func, release func(), err error) {
	st = h.NewState(ctx)
	store := hd.Engine.NewStore(st)
	store.LimitMemory(h.cfg.MaxInstanceMemory)
	release = func() {
		store.Close()
		st.closeAll()
	}
	inst, err := hd.Linker.Instantiate(ctx, store, hd.Component)
	if err == nil {
		if f, err = inst.Func(path...); err != nil {
			err = fmt.Errorf("export %v: %w", path, err)
		}
	}
	if err != nil {
		release()
		return st, nil, nil, err
	}
	return st, f, release, nil
}

// call runs one call in a fresh Store; the State is returned for what the
// guest left in it (its exit status).
func (h *Host) call(ctx context.Context, hd *Handler, path []string, args []capi.Val) (*State, error) {
	st, f, release, err := h.exportFunc(ctx, hd, path...)
	if err != nil {
		return st, err
	}
	defer release()
	out, err := f.Call(1, args...)
	if err != nil {
		return st, fmt.Errorf("%v: %w", path, err)
	}
	res, ok := out[0].(capi.Result)
	if !ok {
		return st, fmt.Errorf("%v returned %T, want a result", path, out[0])
	}
	if !res.Ok {
		return st, fmt.Errorf("%w: %s", ErrGuestFailed, describeVal(res.Val))
	}
	return st, nil
}

// describeVal renders an error value of a handler: an enum or variant
// case, with its string payload.
func describeVal(v capi.Val) string {
	switch v := v.(type) {
	case nil:
		return "error"
	case capi.Enum:
		return string(v)
	case capi.String:
		return string(v)
	case capi.Variant:
		if s, ok := v.Val.(capi.String); ok {
			return fmt.Sprintf("%s(%s)", v.Case, s)
		}
		return v.Case
	default:
		return fmt.Sprintf("%v", v)
	}
}
