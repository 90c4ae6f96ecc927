package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spinoci/spinoci/artifact/appdir"
	"github.com/spinoci/spinoci/engine/coremodule"
	"github.com/spinoci/spinoci/engine/executor/command"
	"github.com/spinoci/spinoci/engine/executor/spinredis"
	"github.com/spinoci/spinoci/engine/internal/capi"
	"github.com/spinoci/spinoci/engine/wasip2"
)

// ServesHTTP reports whether the app has HTTP triggers; an app without any
// serves no HTTP.
func (a *App) ServesHTTP() bool { return a.servesHTTP }

// MessageHandler runs a component on one message of a Redis channel or an
// MQTT topic, each in a fresh instance. It is safe for concurrent use.
type MessageHandler struct {
	id   string
	call func(ctx context.Context, topic string, payload []byte) error
	// code is a component's code, which its tier-up swaps (nil for a
	// Spin 1.x module, whose executor's module is swapped).
	code *wasip2.HandlerSwap
}

// Component is the id of the component the handler runs.
func (h *MessageHandler) Component() string { return h.id }

// HandleMessage runs the component on payload, published on topic (the
// Redis channel or the MQTT topic).
func (h *MessageHandler) HandleMessage(ctx context.Context, topic string, payload []byte) error {
	if err := h.call(ctx, topic, payload); err != nil {
		return fmt.Errorf("component %q: %w", h.id, err)
	}
	return nil
}

// Command runs a component once, for the command trigger.
type Command struct {
	id  string
	run func(ctx context.Context) (int, error)
}

// Component is the id of the component the command runs.
func (c *Command) Component() string { return c.id }

// Run runs the component and returns its exit status; err is set when it
// failed other than by exiting (a trap), with status 1.
func (c *Command) Run(ctx context.Context) (int, error) {
	status, err := c.run(ctx)
	if err != nil {
		return status, fmt.Errorf("component %q: %w", c.id, err)
	}
	return status, nil
}

// readComponent returns component id's files and wasm.
func (a *App) readComponent(id string) (appdir.Component, *wasmSource, error) {
	ac, ok := a.dir.Component(id)
	if !ok {
		return appdir.Component{}, nil, fmt.Errorf("engine: no component %q", id)
	}
	wasm, err := openWasm(ac)
	if err != nil {
		return appdir.Component{}, nil, fmt.Errorf("engine: component %q: %w", id, err)
	}
	return ac, wasm, nil
}

// componentHandler compiles a WebAssembly component for a trigger; check
// refuses one that does not fit the trigger and may set the Handler's
// Export. The Handler's code moves to the optimised code while the trigger
// serves (tierUp), when it was loaded from fast code.
func (a *App) componentHandler(ctx context.Context, ac appdir.Component, wasm *wasmSource, limited bool, check func(*wasip2.Handler) error) (*wasip2.Host, *wasip2.HandlerSwap, error) {
	var limit time.Duration
	if limited {
		var err error
		if limit, err = guestTimeLimit(a.cfg.Env); err != nil {
			return nil, nil, err
		}
	}
	sum, err := wasm.Sum()
	if err != nil {
		return nil, nil, err
	}
	r := a.components
	r.mu.Lock()
	defer r.mu.Unlock()
	rt, comp, tier, cfg, err := a.prepareWasmComponent(ctx, ac, wasm, sum, limit)
	if err != nil {
		return nil, nil, err
	}
	hd := &wasip2.Handler{Engine: rt.Engine, Linker: rt.Linker, Component: comp}
	if err := check(hd); err != nil {
		return nil, nil, err
	}
	code := new(wasip2.HandlerSwap)
	code.Store(hd)
	r.addHandler(ac.Lock.ID, sum, code, tier, wasm)
	if tier != capi.Optimized {
		a.watchComponent(ac.Lock.ID, sum, code, tier)
	}
	return wasip2.NewHost(cfg), code, nil
}

// RedisHandler loads component id for the Redis trigger: a component
// exporting fermyon:spin/inbound-redis@2.0.0 (or the unversioned
// interface), or a Spin 1.x module exporting handle-redis-message.
func (a *App) RedisHandler(ctx context.Context, id string) (*MessageHandler, error) {
	ac, wasm, err := a.readComponent(id)
	if err != nil {
		return nil, err
	}
	h := &MessageHandler{id: id}
	if wasm.isComponent() {
		var export string
		host, code, err := a.componentHandler(ctx, ac, wasm, true, func(hd *wasip2.Handler) error {
			var ok bool
			if export, ok = wasip2.Exported(hd.Component, "handle-message", wasip2.InboundRedisExport, wasip2.InboundRedisExportV1); !ok {
				return fmt.Errorf("exports no %s interface: not a Redis handler", wasip2.InboundRedisExport)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("engine: component %q: %w", id, err)
		}
		h.code = code
		h.call = func(ctx context.Context, _ string, payload []byte) error {
			hd, done := code.Acquire()
			defer done()
			return host.CallResult(ctx, hd, []string{export, "handle-message"}, capi.Bytes(payload))
		}
		return h, nil
	}
	var exec *spinredis.Executor
	err = a.loadCore(ctx, ac, wasm, func(host *coremodule.Host, c *coremodule.Component) (err error) {
		exec, err = spinredis.New(host, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: component %q: %w", id, err)
	}
	h.call = func(ctx context.Context, _ string, payload []byte) error { return exec.HandleMessage(ctx, payload) }
	return h, nil
}

// MQTTHandler loads component id for the MQTT trigger: a component
// exporting the spin-trigger-mqtt plugin's handle-message function.
func (a *App) MQTTHandler(ctx context.Context, id string) (*MessageHandler, error) {
	ac, wasm, err := a.readComponent(id)
	if err != nil {
		return nil, err
	}
	if !wasm.isComponent() {
		return nil, fmt.Errorf("engine: component %q: the MQTT trigger runs WebAssembly components, and this is a core module", id)
	}
	host, code, err := a.componentHandler(ctx, ac, wasm, true, func(hd *wasip2.Handler) error {
		if !hd.Component.HasExport(wasip2.MQTTHandlerExport) {
			return fmt.Errorf("exports no %q function: not an MQTT handler", wasip2.MQTTHandlerExport)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("engine: component %q: %w", id, err)
	}
	return &MessageHandler{id: id, code: code, call: func(ctx context.Context, topic string, payload []byte) error {
		meta := capi.Record{{Name: "topic", Val: capi.String(topic)}}
		hd, done := code.Acquire()
		defer done()
		return host.CallResult(ctx, hd, []string{wasip2.MQTTHandlerExport}, capi.Bytes(payload), meta)
	}}, nil
}

// Command loads component id for the command trigger: a component
// exporting wasi:cli/run@0.2.x, or a WASI command module (exporting
// _start). Its guest time is not limited.
func (a *App) Command(ctx context.Context, id string) (*Command, error) {
	ac, wasm, err := a.readComponent(id)
	if err != nil {
		return nil, err
	}
	if wasm.isComponent() {
		host, code, err := a.componentHandler(ctx, ac, wasm, false, func(hd *wasip2.Handler) error {
			export, ok := wasip2.CLIRunExport(hd.Component)
			if !ok {
				return errors.New("exports no wasi:cli/run@0.2.x interface: not a command")
			}
			hd.Export = export
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("engine: component %q: %w", id, err)
		}
		return &Command{id: id, run: func(ctx context.Context) (int, error) {
			hd, done := code.Acquire()
			defer done()
			return host.Run(ctx, hd)
		}}, nil
	}
	var exec *command.Executor
	err = a.loadCore(ctx, ac, wasm, func(host *coremodule.Host, c *coremodule.Component) (err error) {
		exec, err = command.New(host, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: component %q: %w", id, err)
	}
	return &Command{id: id, run: exec.Run}, nil
}
