package spinhttp

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"
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
	// frames are requests' frames, reused.
	frames sync.Pool
	// releaseAfterResponse: requests close their Store in the background
	// (see ReleaseAfterResponse).
	releaseAfterResponse bool
}

// frame is what one request needs besides its Store, kept for the next
// request so that a request allocates little (less GC work per request).
type frame struct {
	exec *Executor
	// refs holds no Go pointers, as what cgo is given a pointer into must
	// not.
	refs    *instanceRefs
	guest   coremodule.Guest
	args    [4]coremodule.Arg
	headers [][2]string
	resp    inbound.Response
}

// instanceRefs are a request's instance and its exports.
type instanceRefs struct {
	inst    wasmtime.Instance
	exports capi.Exports
}

// getFrame returns a frame for a request; putFrame gives it back.
func (e *Executor) getFrame() *frame {
	if f, ok := e.frames.Get().(*frame); ok {
		return f
	}
	return &frame{exec: e, refs: new(instanceRefs)}
}

// maxFrameBuffer is the largest buffer (response body, guest scratch) a
// frame keeps for the next request.
const maxFrameBuffer = 64 << 10

// putFrame keeps f for another request, without the request's data.
func (e *Executor) putFrame(f *frame) {
	clear(f.headers)
	f.headers = f.headers[:0]
	f.args = [4]coremodule.Arg{}
	f.guest.Reset(maxFrameBuffer)
	clear(f.resp.Headers)
	body := f.resp.Body[:0]
	if cap(body) > maxFrameBuffer {
		body = nil
	}
	f.resp = inbound.Response{Headers: f.resp.Headers[:0], Body: body}
	e.frames.Put(f)
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

// lookUpExports sets e.exports for its ABI, from the module's export
// kinds. The optional exports the module does not have are not looked up
// per request.
func (e *Executor) lookUpExports(kinds map[string]coremodule.ExternKind) (*Executor, error) {
	init, post := exportInit, exportPostReturn08
	if _, ok := kinds[init]; !ok {
		init = ""
	}
	if _, ok := kinds[post]; !ok {
		post = ""
	}
	var err error
	if e.cabi {
		e.exports, err = capi.NewExportNames(coremodule.ExportMemory, init, exportHandle08, coremodule.ExportCABIRealloc, post)
	} else {
		e.exports, err = capi.NewExportNames(coremodule.ExportMemory, init, exportHandle, coremodule.ExportRealloc, coremodule.ExportFree)
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
	exports := coremodule.ExportKinds(comp.Module) // once: each call walks the module's exports through cgo
	if isCABI(exports) {
		return newCABI(host, comp, exports)
	}
	if err := checkExports(exports); err != nil {
		return nil, err
	}
	comp.Typed = checkedSignatures(comp.Module)
	return (&Executor{host: host, comp: comp}).lookUpExports(exports)
}

// StreamsBody is false: the guest gets the whole body.
func (*Executor) StreamsBody() bool { return false }

// Typed reports whether calls into the module skip wasmtime's type checks
// (see coremodule.Component.Typed).
func (e *Executor) Typed() bool { return e.comp.Typed }

// ReleaseAfterResponse makes requests release their instance in the
// background, for modules whose memory takes long to reset; by default
// they release it in line, which costs less CPU where the reset is short.
func (e *Executor) ReleaseAfterResponse() { e.releaseAfterResponse = true }

// ReleasesAfterResponse reports whether ReleaseAfterResponse was called.
func (e *Executor) ReleasesAfterResponse() bool { return e.releaseAfterResponse }

// Serve answers req with the guest's response; methods outside Spin's
// method enum get 405.
func (e *Executor) Serve(ctx context.Context, w http.ResponseWriter, req *inbound.Request) {
	a, status := e.Respond(ctx, req)
	if a == nil {
		w.WriteHeader(status)
		return
	}
	inbound.WriteResponse(ctx, w, e.comp.ID, a.Response())
	a.Release()
}

// Answer is a request's response, valid until Release.
type Answer frame

// Response is the guest's response, not yet validated (see
// inbound.CheckResponse).
func (a *Answer) Response() *inbound.Response { return &a.resp }

// Release gives the answer's buffers back to its executor, for another
// request.
func (a *Answer) Release() { a.exec.putFrame((*frame)(a)) }

// Respond runs req. It returns the guest's answer, or nil and the status
// that answers req instead: 405 for a method outside Spin's method enum,
// 500 when the guest fails (logged).
func (e *Executor) Respond(ctx context.Context, req *inbound.Request) (*Answer, int) {
	method, ok := inbound.SpinMethod(req.Method)
	if !ok {
		return nil, http.StatusMethodNotAllowed
	}
	f := e.getFrame()
	if err := e.call(ctx, f, method, req); err != nil {
		e.putFrame(f)
		inbound.LogFailure(ctx, e.comp.ID, err)
		return nil, http.StatusInternalServerError
	}
	return (*Answer)(f), 0
}

// call instantiates the module in a fresh Store, calls
// handle-http-request and leaves the response in f.resp.
func (e *Executor) call(ctx context.Context, f *frame, method int32, req *inbound.Request) error {
	store, err := e.host.NewStore(ctx, e.comp, coremodule.StoreOptions{})
	if err != nil {
		return err
	}
	defer func() {
		if e.releaseAfterResponse {
			// The response is copied out of the guest's memory: the Store
			// can close while it is written.
			store.CloseAsync()
			return
		}
		store.Close()
	}()
	ex := &f.refs.exports
	if err := e.host.InstantiateExporting(store, e.comp, &f.refs.inst, e.exports, ex); err != nil {
		return err
	}
	if init := ex.Func(exportInitIndex); init != nil {
		if _, err := init.Call(store); err != nil {
			return fmt.Errorf("%s: %w", exportInit, capi.TrimNative(err))
		}
	}
	g := &f.guest
	if err := e.initGuest(g, store, ex); err != nil {
		return err
	}
	handle := ex.Func(exportHandleIndex)
	if handle == nil {
		return fmt.Errorf("%s is not exported", e.handleExport())
	}
	name := e.handleExport()

	uri := req.URI()
	f.headers = req.AppendHeaders(f.headers[:0])
	headers := f.headers
	// params is always empty; body is always some.
	f.args = [4]coremodule.Arg{
		coremodule.StringArg(uri), coremodule.PairsArg(headers), coremodule.PairsArg(nil), coremodule.BytesArg(req.Body),
	}
	ptrs, err := g.PutArgs(f.args[:])
	if err != nil {
		return err
	}
	uriPtr, hdrPtr, paramsPtr, bodyPtr := ptrs[0], ptrs[1], ptrs[2], ptrs[3]
	ret, mem, err := g.CallI32Memory(handle, method, int32(uriPtr), int32(len(uri)),
		int32(hdrPtr), int32(len(headers)), int32(paramsPtr), int32(0),
		int32(1), int32(bodyPtr), int32(len(req.Body)))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := readResponse(&f.resp, g, mem, uint32(ret), !e.cabi); err != nil || !e.cabi {
		return err
	}
	return e.postReturn(g, ex, ret)
}

// readResponse copies the response out of the return area at ret in mem,
// g's memory right after its handler returned, into resp (reusing its
// buffers) and then, with dealloc, frees what the guest returned, as the
// Spin adapter's post-return does.
func readResponse(resp *inbound.Response, g *coremodule.Guest, mem []byte, ret uint32, dealloc bool) error {
	// mem is valid until the frees below.
	area, err := coremodule.MemRange(mem, ret, retAreaSize)
	if err != nil {
		return fmt.Errorf("return area: %w", err)
	}
	le := binary.LittleEndian
	*resp = inbound.Response{Status: int(le.Uint16(area[0:])), Headers: resp.Headers[:0], Body: resp.Body[:0]}
	hasHeaders, hdrPtr, hdrCount := area[4] != 0, le.Uint32(area[8:]), le.Uint32(area[12:])
	hasBody, bodyPtr, bodyLen := area[16] != 0, le.Uint32(area[20:]), le.Uint32(area[24:])

	// canonical_abi_free(ptr, size, align) arguments, in the adapter's order.
	var frees []int32
	if hasHeaders {
		if resp.Headers, err = coremodule.AppendPairs(resp.Headers, mem, hdrPtr, hdrCount); err != nil {
			return fmt.Errorf("response headers: %w", err)
		}
		tuples, _ := coremodule.MemRange(mem, hdrPtr, hdrCount*16) // bounds checked by AppendPairs
		frees = g.Scratch(6*int(hdrCount) + 6)[:0]
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
			return fmt.Errorf("response body: %w", err)
		}
		resp.Body = append(resp.Body, body...)
		frees = append(frees, int32(bodyPtr), int32(bodyLen), 1)
	}
	if !dealloc {
		return nil
	}
	return g.DeallocAll(frees)
}
