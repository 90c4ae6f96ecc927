package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/engine/coremodule"
)

const exportStart = "_start"

// Executor runs a module's _start.
type Executor struct {
	host *coremodule.Host
	comp *coremodule.Component
}

// New returns the executor of comp, whose module must export _start.
func New(host *coremodule.Host, comp *coremodule.Component) (*Executor, error) {
	if coremodule.ExportKinds(comp.Module)[exportStart] != coremodule.KindFunc {
		return nil, fmt.Errorf("module does not export %q: not a WASI command", exportStart)
	}
	return &Executor{host: host, comp: comp}, nil
}

// Run runs _start in a fresh Store and returns the exit status: the one the
// guest passed to proc_exit, else 0. err is set (with status 1) when the
// guest trapped.
func (e *Executor) Run(ctx context.Context) (int, error) {
	store, err := e.host.NewStore(ctx, e.comp, coremodule.StoreOptions{Argv: []string{e.comp.ID}})
	if err != nil {
		return 1, err
	}
	defer store.Close()
	inst, err := e.host.Instantiate(store, e.comp)
	if err != nil {
		return 1, err
	}
	start := e.host.LookupFunc(store, inst, exportStart)
	_, err = start.Call(store)
	var werr *wasmtime.Error
	if errors.As(err, &werr) {
		if code, ok := werr.ExitStatus(); ok {
			return int(code), nil
		}
	}
	if err != nil {
		return 1, fmt.Errorf("%s: %w", exportStart, err)
	}
	return 0, nil
}
