package spinhttp

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/http"

	"github.com/spinoci/spinoci/engine/coremodule"
	"github.com/spinoci/spinoci/engine/inbound"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// Spin 1.x HTTP export names (besides coremodule's canonical ABI ones).
const (
	exportHandle = "handle-http-request"
	exportInit   = "_initialize"
)

// retAreaSize is the size of handle-http-request's return area.
const retAreaSize = 28

// Executor runs a module's handle-http-request.
type Executor struct {
	host *coremodule.Host
	comp *coremodule.Component
	// cabi: the module speaks wit-bindgen 0.8's ABI (abi08.go).
	cabi bool
	// exports are what a request looks up in its instance: the memory and
	// the functions at the exportX indexes.
	exports *capi.ExportNames
}

// Indexes of the functions in Executor.exports.
const (
	exportInitIndex = iota
	exportHandleIndex
	exportReallocIndex
	// exportFreeIndex is canonical_abi_free, or for wit-bindgen 0.8 the
	// handler's post-return.
	exportFreeIndex
)

// lookUpExports sets e.exports for its ABI.
func (e *Executor) lookUpExports() (*Executor, error) {
	var err error
	if e.cabi {
		e.exports, err = capi.NewExportNames(coremodule.ExportMemory, exportInit, exportHandle08, coremodule.ExportCABIRealloc, exportPostReturn08)
	} else {
		e.exports, err = capi.NewExportNames(coremodule.ExportMemory, exportInit, exportHandle, coremodule.ExportRealloc, coremodule.ExportFree)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// New returns the Spin executor of comp, whose module must speak the Spin
// 1.x HTTP ABI. It sets comp.Typed when the module's exports have exactly
// the types the host calls them with.
func New(host *coremodule.Host, comp *coremodule.Component) (*Executor, error) {
	if isCABI(comp.Module) {
		return newCABI(host, comp)
	}
	if err := checkExports(comp.Module); err != nil {
		return nil, err
	}
	comp.Typed = checkedSignatures(comp.Module)
	return (&Executor{host: host, comp: comp}).lookUpExports()
}

// StreamsBody is false: the guest gets the whole body.
func (*Executor) StreamsBody() bool { return false }

// Typed reports whether calls into the module skip wasmtime's type checks
// (see coremodule.Component.Typed).
func (e *Executor) Typed() bool { return e.comp.Typed }

// Serve answers req with the guest's response; methods outside Spin's
// method enum get 405.
func (e *Executor) Serve(ctx context.Context, w http.ResponseWriter, req *inbound.Request) {
	method, ok := inbound.SpinMethod(req.HTTP.Method)
	if !ok {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	resp, err := e.call(ctx, method, req)
	if err != nil {
		inbound.Fail(ctx, w, e.comp.ID, err)
		return
	}
	inbound.WriteResponse(ctx, w, e.comp.ID, resp)
}

// call instantiates the module in a fresh Store and calls
// handle-http-request.
func (e *Executor) call(ctx context.Context, method int32, req *inbound.Request) (*inbound.Response, error) {
	store, err := e.host.NewStore(ctx, e.comp, coremodule.StoreOptions{})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	inst, err := e.host.Instantiate(store, e.comp)
	if err != nil {
		return nil, err
	}
	ex := new(capi.Exports)
	store.LookupExports(inst, e.exports, ex)
	if init := ex.Func(exportInitIndex); init != nil {
		if _, err := init.Call(store); err != nil {
			return nil, fmt.Errorf("%s: %w", exportInit, capi.TrimNative(err))
		}
	}
	g, err := e.guest(store, ex)
	if err != nil {
		return nil, err
	}
	handle := ex.Func(exportHandleIndex)
	if handle == nil {
		return nil, fmt.Errorf("%s is not exported", e.handleExport())
	}
	name := e.handleExport()

	uri := req.URI()
	headers := req.Headers()
	// params is always empty; body is always some.
	ptrs, err := g.PutArgs([]coremodule.Arg{
		coremodule.StringArg(uri), coremodule.PairsArg(headers), coremodule.PairsArg(nil), coremodule.BytesArg(req.Body),
	})
	if err != nil {
		return nil, err
	}
	uriPtr, hdrPtr, paramsPtr, bodyPtr := ptrs[0], ptrs[1], ptrs[2], ptrs[3]
	ret, err := g.CallI32(handle, method, int32(uriPtr), int32(len(uri)),
		int32(hdrPtr), int32(len(headers)), int32(paramsPtr), int32(0),
		int32(1), int32(bodyPtr), int32(len(req.Body)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	resp, err := readResponse(g, uint32(ret), !e.cabi)
	if err != nil || !e.cabi {
		return resp, err
	}
	return resp, e.postReturn(g, ex, ret)
}

// readResponse copies the response out of the return area at ret and then,
// with dealloc, frees what the guest returned, as the Spin adapter's
// post-return does.
func readResponse(g *coremodule.Guest, ret uint32, dealloc bool) (*inbound.Response, error) {
	mem := g.Memory() // valid until the frees below
	area, err := coremodule.MemRange(mem, ret, retAreaSize)
	if err != nil {
		return nil, fmt.Errorf("return area: %w", err)
	}
	le := binary.LittleEndian
	resp := &inbound.Response{Status: int(le.Uint16(area[0:]))}
	hasHeaders, hdrPtr, hdrCount := area[4] != 0, le.Uint32(area[8:]), le.Uint32(area[12:])
	hasBody, bodyPtr, bodyLen := area[16] != 0, le.Uint32(area[20:]), le.Uint32(area[24:])

	// canonical_abi_free(ptr, size, align) arguments, in the adapter's order.
	var frees []int32
	if hasHeaders {
		if resp.Headers, err = coremodule.ReadPairs(mem, hdrPtr, hdrCount); err != nil {
			return nil, fmt.Errorf("response headers: %w", err)
		}
		tuples, _ := coremodule.MemRange(mem, hdrPtr, hdrCount*16) // bounds checked by ReadPairs
		frees = make([]int32, 0, 6*hdrCount+6)
		for i := uint32(0); i < hdrCount; i++ {
			t := tuples[16*i:]
			frees = append(frees, int32(le.Uint32(t[0:])), int32(le.Uint32(t[4:])), 1,
				int32(le.Uint32(t[8:])), int32(le.Uint32(t[12:])), 1)
		}
		frees = append(frees, int32(hdrPtr), int32(hdrCount*16), 4)
	}
	if hasBody {
		body, err := coremodule.MemRange(mem, bodyPtr, bodyLen)
		if err != nil {
			return nil, fmt.Errorf("response body: %w", err)
		}
		resp.Body = append([]byte(nil), body...)
		frees = append(frees, int32(bodyPtr), int32(bodyLen), 1)
	}
	if !dealloc {
		return resp, nil
	}
	if err := g.DeallocAll(frees); err != nil {
		return nil, err
	}
	return resp, nil
}
