package engine

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"strconv"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/spinoci/spinoci/engine/internal/httpheader"
)

// spinMethod maps an HTTP method to the wit-bindgen 0.2 method enum.
func spinMethod(m string) (int32, bool) {
	switch m {
	case http.MethodGet:
		return 0, true
	case http.MethodPost:
		return 1, true
	case http.MethodPut:
		return 2, true
	case http.MethodDelete:
		return 3, true
	case http.MethodPatch:
		return 4, true
	case http.MethodHead:
		return 5, true
	case http.MethodOptions:
		return 6, true
	}
	return 0, false
}

// spinSignature is the wasm type of a Spin export the host calls:
// its numbers of i32 params and i32 results.
func spinSignature(name string) (params, results int, ok bool) {
	switch name {
	case exportRealloc:
		return 4, 1, true
	case exportFree:
		return 3, 0, true
	case exportHandle:
		return 10, 1, true
	}
	return 0, 0, false
}

// spinSignatureCount is how many exports spinSignature knows.
const spinSignatureCount = 3

// checkedSignatures reports whether m's Spin exports have exactly the
// types the host calls them with, so that calls may skip wasmtime's type
// check (callEach). Otherwise every call is checked and a mismatch fails
// the request, as before.
func checkedSignatures(m *wasmtime.Module) bool {
	found := 0
	for _, e := range m.Exports() {
		params, results, ok := spinSignature(e.Name())
		if !ok {
			continue
		}
		ft := e.Type().FuncType()
		if ft == nil || !allI32(ft.Params(), params) || !allI32(ft.Results(), results) {
			return false
		}
		found++
	}
	return found == spinSignatureCount
}

func allI32(types []*wasmtime.ValType, n int) bool {
	if len(types) != n {
		return false
	}
	for _, t := range types {
		if t.Kind() != wasmtime.KindI32 {
			return false
		}
	}
	return true
}

// retAreaSize is the size of handle-http-request's return area.
const retAreaSize = 28

// response is a guest's HTTP response.
type response struct {
	status  int
	headers [][2]string
	body    []byte
}

// spinExecutor runs handle-http-request.
type spinExecutor struct{}

func (spinExecutor) serve(ctx context.Context, c *component, w http.ResponseWriter, req *request) {
	method, ok := spinMethod(req.r.Method)
	if !ok {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	resp, err := c.callSpin(ctx, method, req)
	if err != nil {
		c.fail(ctx, w, err)
		return
	}
	writeResponse(ctx, c, w, resp)
}

// writeResponse applies the guest's response; duplicate header names: the
// last one wins.
func writeResponse(ctx context.Context, c *component, w http.ResponseWriter, resp *response) {
	if resp.status < 200 || resp.status > 599 {
		// 1xx cannot be a final response in net/http.
		c.fail(ctx, w, fmt.Errorf("invalid response status %d", resp.status))
		return
	}
	for _, h := range resp.headers {
		if !httpheader.ValidName(h[0]) || !httpheader.ValidValue(h[1]) {
			c.fail(ctx, w, fmt.Errorf("invalid response header %q", h[0]))
			return
		}
	}
	hdr := w.Header()
	for _, h := range resp.headers {
		hdr.Set(h[0], h[1])
	}
	if resp.status != http.StatusNoContent && resp.status != http.StatusNotModified {
		hdr.Set("Content-Length", strconv.Itoa(len(resp.body)))
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// callSpin instantiates the module in a fresh Store and calls
// handle-http-request.
func (c *component) callSpin(ctx context.Context, method int32, req *request) (*response, error) {
	store, err := c.newStore(ctx, nil, nil, "", "")
	if err != nil {
		return nil, err
	}
	defer store.Close()
	inst, err := c.host.linker.Instantiate(store, c.module)
	if err != nil {
		return nil, fmt.Errorf("instantiate: %w", err)
	}
	if init := lookupFunc(store, inst, exportInit); init != nil {
		if _, err := init.Call(store); err != nil {
			return nil, fmt.Errorf("%s: %w", exportInit, err)
		}
	}
	g, err := newGuest(store, inst, c.spinTyped)
	if err != nil {
		return nil, err
	}
	handle := lookupFunc(store, inst, exportHandle)
	if handle == nil {
		return nil, fmt.Errorf("%s is not exported", exportHandle)
	}

	uri := req.uri()
	headers := requestHeaders(req)
	// params is always empty; body is always some.
	ptrs, err := g.putArgs([]guestArg{stringArg(uri), pairsArg(headers), pairsArg(nil), bytesArg(req.body)})
	if err != nil {
		return nil, err
	}
	uriPtr, hdrPtr, paramsPtr, bodyPtr := ptrs[0], ptrs[1], ptrs[2], ptrs[3]
	ret, err := callI32(g.ctx, handle, c.spinTyped, method, int32(uriPtr), int32(len(uri)),
		int32(hdrPtr), int32(len(headers)), int32(paramsPtr), int32(0),
		int32(1), int32(bodyPtr), int32(len(req.body)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", exportHandle, err)
	}
	return readResponse(g, uint32(ret))
}

// readResponse copies the response out of the return area at ret and then
// frees what the guest returned, as the Spin adapter's post-return does.
func readResponse(g *guest, ret uint32) (*response, error) {
	mem := g.memory() // valid until the frees below
	area, err := memRange(mem, ret, retAreaSize)
	if err != nil {
		return nil, fmt.Errorf("return area: %w", err)
	}
	le := binary.LittleEndian
	resp := &response{status: int(le.Uint16(area[0:]))}
	hasHeaders, hdrPtr, hdrCount := area[4] != 0, le.Uint32(area[8:]), le.Uint32(area[12:])
	hasBody, bodyPtr, bodyLen := area[16] != 0, le.Uint32(area[20:]), le.Uint32(area[24:])

	// canonical_abi_free(ptr, size, align) arguments, in the adapter's order.
	var frees []int32
	if hasHeaders {
		if resp.headers, err = readPairs(mem, hdrPtr, hdrCount); err != nil {
			return nil, fmt.Errorf("response headers: %w", err)
		}
		tuples, _ := memRange(mem, hdrPtr, hdrCount*16) // bounds checked by readPairs
		frees = make([]int32, 0, 6*hdrCount+6)
		for i := uint32(0); i < hdrCount; i++ {
			t := tuples[16*i:]
			frees = append(frees, int32(le.Uint32(t[0:])), int32(le.Uint32(t[4:])), 1,
				int32(le.Uint32(t[8:])), int32(le.Uint32(t[12:])), 1)
		}
		frees = append(frees, int32(hdrPtr), int32(hdrCount*16), 4)
	}
	if hasBody {
		body, err := memRange(mem, bodyPtr, bodyLen)
		if err != nil {
			return nil, fmt.Errorf("response body: %w", err)
		}
		resp.body = append([]byte(nil), body...)
		frees = append(frees, int32(bodyPtr), int32(bodyLen), 1)
	}
	if err := g.deallocAll(frees); err != nil {
		return nil, err
	}
	return resp, nil
}
