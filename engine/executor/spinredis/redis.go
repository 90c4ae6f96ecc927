package spinredis

import (
	"context"
	"errors"
	"fmt"

	"github.com/spinoci/spinoci/engine/coremodule"
)

// Export names of a Spin 1.x Redis handler.
const (
	exportHandle = "handle-redis-message"
	exportInit   = "_initialize"
)

// ErrGuestFailed is returned when the handler returned its error case.
var ErrGuestFailed = errors.New("the guest returned an error")

// Executor runs a module's handle-redis-message.
type Executor struct {
	host *coremodule.Host
	comp *coremodule.Component
}

// New returns the executor of comp, whose module must export
// handle-redis-message and the canonical ABI allocator.
func New(host *coremodule.Host, comp *coremodule.Component) (*Executor, error) {
	kinds := coremodule.ExportKinds(comp.Module)
	if kinds[exportHandle] != coremodule.KindFunc {
		return nil, fmt.Errorf("module does not export %q: not a Spin Redis handler", exportHandle)
	}
	if kinds[coremodule.ExportRealloc] != coremodule.KindFunc || kinds[coremodule.ExportMemory] != coremodule.KindMemory {
		return nil, fmt.Errorf("module exports %q but not %q and %q", exportHandle, coremodule.ExportRealloc, coremodule.ExportMemory)
	}
	return &Executor{host: host, comp: comp}, nil
}

// HandleMessage instantiates the module in a fresh Store and passes it
// payload.
func (e *Executor) HandleMessage(ctx context.Context, payload []byte) error {
	store, err := e.host.NewStore(ctx, e.comp, coremodule.StoreOptions{})
	if err != nil {
		return err
	}
	defer store.Close()
	inst, err := e.host.Instantiate(store, e.comp)
	if err != nil {
		return err
	}
	if init := e.host.LookupFunc(store, inst, exportInit); init != nil {
		if _, err := init.Call(store); err != nil {
			return fmt.Errorf("%s: %w", exportInit, err)
		}
	}
	g, err := e.host.Guest(store, inst, false)
	if err != nil {
		return err
	}
	handle := e.host.LookupFunc(store, inst, exportHandle)
	ptrs, err := g.PutArgs([]coremodule.Arg{coremodule.BytesArg(payload)})
	if err != nil {
		return err
	}
	ret, err := g.CallI32(handle, int32(ptrs[0]), int32(len(payload)))
	if err != nil {
		return fmt.Errorf("%s: %w", exportHandle, err)
	}
	// expected<unit, error>: a tag byte, then (on error) the error enum's
	// byte (0 success, 1 error).
	area, err := coremodule.MemRange(g.Memory(), uint32(ret), 2)
	if err != nil {
		return fmt.Errorf("%s return area: %w", exportHandle, err)
	}
	switch area[0] {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%w (error case %d)", ErrGuestFailed, area[1])
	default:
		return fmt.Errorf("%s returned the invalid tag %d", exportHandle, area[0])
	}
}
