package spinhttp

import (
	"errors"
	"fmt"

	"github.com/spinoci/spinoci/engine/coremodule"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// The exports of Spin SDK 1.4/1.5 modules (wit-bindgen 0.8): the same
// request and response flat layouts as handle-http-request, under the
// fermyon:spin/inbound-http interface name, with cabi_realloc as the
// allocator and a post-return export that frees the response. Spin adapts
// these modules into components at load; serving them directly is the same
// canonical ABI call.
const (
	exportHandle08     = "fermyon:spin/inbound-http#handle-request"
	exportPostReturn08 = "cabi_post_fermyon:spin/inbound-http#handle-request"
)

// isCABI reports whether a module of exports is a wit-bindgen 0.8 Spin
// HTTP module.
func isCABI(exports map[string]coremodule.ExternKind) bool {
	_, ok := exports[exportHandle08]
	return ok
}

// newCABI returns the executor of a wit-bindgen 0.8 module with exports:
// it checks them and links the module's unsupported fermyon:spin imports
// as traps naming them.
func newCABI(host *coremodule.Host, comp *coremodule.Component, exports map[string]coremodule.ExternKind) (*Executor, error) {
	for _, name := range []string{exportHandle08, coremodule.ExportCABIRealloc} {
		if exports[name] != coremodule.KindFunc {
			return nil, fmt.Errorf("module of Spin SDK 1.4/1.5 (exports %q) does not export the function %q", exportHandle08, name)
		}
	}
	if exports[coremodule.ExportMemory] != coremodule.KindMemory {
		return nil, errors.New("module of Spin SDK 1.4/1.5 does not export its memory")
	}
	if err := host.DefineUnsupported08Imports(comp); err != nil {
		return nil, err
	}
	return (&Executor{host: host, comp: comp, cabi: true}).lookUpExports(exports)
}

// handleExport is the name of the module's HTTP handler export.
func (e *Executor) handleExport() string {
	if e.cabi {
		return exportHandle08
	}
	return exportHandle
}

// initGuest makes g the instance's memory and allocator for the module's
// ABI.
func (e *Executor) initGuest(g *coremodule.Guest, store *coremodule.Store, ex *capi.Exports) error {
	mem, realloc := ex.Memory(), ex.Func(exportReallocIndex)
	if e.cabi {
		if mem == nil || realloc == nil {
			return errors.New("a module of Spin SDK 1.4/1.5 must export \"memory\" and \"cabi_realloc\"")
		}
		store.InitGuest(g, mem, realloc, nil, false)
		return nil
	}
	free := ex.Func(exportFreeIndex)
	if mem == nil || realloc == nil || free == nil {
		return errors.New(coremodule.SpinIncompatible)
	}
	store.InitGuest(g, mem, realloc, free, e.comp.Typed)
	return nil
}

// postReturn calls the module's post-return export on the return area, as
// the canonical ABI does once the caller has read the results.
func (e *Executor) postReturn(g *coremodule.Guest, ex *capi.Exports, ret int32) error {
	post := ex.Func(exportFreeIndex)
	if post == nil {
		return nil
	}
	if err := g.Call(post, ret); err != nil {
		return fmt.Errorf("%s: %w", exportPostReturn08, err)
	}
	return nil
}
