package coremodule

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"runtime/debug"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/log"

	"github.com/spinoci/spinoci/engine/capability/redis"
)

// instanceState is the per-request state that host imports reach through
// their Caller: it is the data of the request's Store.
type instanceState struct {
	ctx  context.Context
	host *Host
	comp *Component
	kv   kvHandles
	// start and hostTime measure the guest's time (see EpochDeadline).
	start    time.Time
	hostTime time.Duration
	sql      sqlHandles
	// redis are the instance's outbound Redis connections (see
	// redisConnections).
	redis *redis.Connections
}

// hostFunc is the Go side of a Spin 1.x host import: args are the wasm
// arguments (all i32). An error traps the guest (→ 500, logged).
type hostFunc func(call *hostCall, args []int32) error

// hostCall is one call of a host import.
type hostCall struct {
	caller *wasmtime.Caller
	state  *instanceState
	g      *Guest // set lazily by guest()
}

// guest returns the calling instance's memory and allocator.
func (c *hostCall) guest() (*Guest, error) {
	if c.g == nil {
		g, err := c.state.host.callerGuest(c.caller, c.state.comp.Typed)
		if err != nil {
			return nil, err
		}
		c.g = g
	}
	return c.g, nil
}

// readString reads a guest string argument.
func (c *hostCall) readString(ptr, n int32) (string, error) {
	g, err := c.guest()
	if err != nil {
		return "", err
	}
	b, err := g.read(uint32(ptr), uint32(n))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// readBytes reads a guest list<u8> argument.
func (c *hostCall) readBytes(ptr, n int32) ([]byte, error) {
	g, err := c.guest()
	if err != nil {
		return nil, err
	}
	return g.read(uint32(ptr), uint32(n))
}

// retArea builds a result in a little-endian return area before it is written to guest memory in one piece.
type retArea []byte

func (r retArea) u8(off int, v uint8)   { r[off] = v }
func (r retArea) u16(off int, v uint16) { binary.LittleEndian.PutUint16(r[off:], v) }
func (r retArea) u32(off int, v uint32) { binary.LittleEndian.PutUint32(r[off:], v) }

// writeRet writes area at the guest's return pointer ret.
func (c *hostCall) writeRet(ret int32, area retArea) error {
	g, err := c.guest()
	if err != nil {
		return err
	}
	if err := g.write(uint32(ret), area); err != nil {
		return fmt.Errorf("return area: %w", err)
	}
	return nil
}

// putBytes allocates b in guest memory (align 1) and returns its pointer.
func (c *hostCall) putBytes(b []byte) (uint32, error) {
	g, err := c.guest()
	if err != nil {
		return 0, err
	}
	return g.put(b, 1)
}

// wrapHost adapts fn to wasmtime's callback shape. Host imports are only
// reachable from requests, whose Stores carry an *instanceState. A panic
// in fn traps the guest (→ 500) with the panic logged: the Spin executor
// calls the guest through capi, which would not re-raise it.
func wrapHost(module, name string, fn hostFunc) func(*wasmtime.Caller, []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
	return func(caller *wasmtime.Caller, vals []wasmtime.Val) (_ []wasmtime.Val, trap *wasmtime.Trap) {
		state, ok := caller.Data().(*instanceState)
		if !ok {
			return nil, wasmtime.NewTrap(fmt.Sprintf("%s.%s: no request state", module, name))
		}
		defer func() {
			if p := recover(); p != nil {
				log.G(state.ctx).WithField("stack", string(debug.Stack())).Errorf("%s.%s panicked: %v", module, name, p)
				trap = wasmtime.NewTrap(fmt.Sprintf("%s.%s: panic: %v", module, name, p))
			}
		}()
		args := make([]int32, len(vals))
		for i, v := range vals {
			if v.Kind() == wasmtime.KindF32 { // llm.infer's params: bits
				args[i] = int32(math.Float32bits(v.F32()))
				continue
			}
			args[i] = v.I32()
		}
		start := time.Now()
		err := fn(&hostCall{caller: caller, state: state}, args)
		state.hostTime += time.Since(start)
		if err != nil {
			return nil, wasmtime.NewTrap(fmt.Sprintf("%s.%s: %v", module, name, err))
		}
		return nil, nil
	}
}

// hostImplementation returns the Go implementation of a Spin 1.x host
// import, or nil for those that only trap.
func hostImplementation(module, name string) hostFunc {
	switch module {
	case "spin-config":
		if name == "get-config" {
			return hostGetConfig
		}
	case "key-value":
		return kvImport(name)
	case "sqlite":
		return sqliteImport(name)
	case "outbound-redis":
		return redisImport(name)
	case "llm":
		return llmImport(name)
	case "outbound-pg", "outbound-mysql":
		return rdbmsImport(module == "outbound-pg", name)
	case "wasi-outbound-http":
		if name == "request" {
			return hostOutboundRequest
		}
	}
	return nil
}
