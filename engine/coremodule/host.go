package coremodule

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/spinoci/spinoci/engine/capability/keyvalue"
	"github.com/spinoci/spinoci/engine/capability/llm"
	"github.com/spinoci/spinoci/engine/capability/network"
	"github.com/spinoci/spinoci/engine/capability/outboundhttp"
	"github.com/spinoci/spinoci/engine/capability/rdbms"
	"github.com/spinoci/spinoci/engine/capability/redis"
	"github.com/spinoci/spinoci/engine/capability/sqlite"
	"github.com/spinoci/spinoci/engine/capability/variables"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// Config configures a Host.
type Config struct {
	Engine *wasmtime.Engine
	// InstanceLimit is how many instances the engine can hold at once (its
	// pooling allocator's slots); requests beyond it wait. 0: no limit.
	InstanceLimit int
	// Stdout and Stderr receive guest output; nil discards.
	Stdout, Stderr *Output
	// Outbound sends the guests' outbound HTTP requests.
	Outbound *outboundhttp.Client
	// GuestTimeLimit bounds how long one request's guest code may run
	// (0: no limit). It is enforced at epoch deadlines: the engine must
	// have epoch interruption on and its epoch must advance.
	GuestTimeLimit time.Duration
	// MaxInstanceMemory caps each instance's linear memory in bytes
	// (0: no cap beyond wasm32's 4 GiB).
	MaxInstanceMemory int64
}

// Host is what every core module of an App shares. Its Linker is
// store-independent and shared by all requests; per-request state reaches
// the imports through the Store's data.
type Host struct {
	engine         *wasmtime.Engine
	linker         *wasmtime.Linker
	stdout, stderr *Output
	outbound       *outboundhttp.Client
	guestTimeLimit time.Duration
	maxMemory      int64
	// defined08 are the components whose unsupported Spin 0.8 imports
	// the linker defines (DefineUnsupported08Imports), for PrepareUpgrade.
	defined08 map[*Component]bool
	// linkMu orders definitions into the linker (write) and its uses
	// (read): PrepareUpgrade may run for a trigger's module loaded after
	// the App's Load, and a module's first instance defines its imports
	// (linkImports), while the Host's other modules may be instantiated.
	linkMu sync.RWMutex
	linked linkedImports
	// registrations are what its requests' Stores share (registration.go).
	registrations storeRegistrations
	// Pool is its engine's instance pool (nil Slots: no limit); its Users
	// are its Stores, from NewStore to Close.
	capi.Pool
}

// NewHost returns the Host of an App's core modules; Close releases its
// Linker.
func NewHost(cfg Config) (*Host, error) {
	h := &Host{
		engine: cfg.Engine, linker: wasmtime.NewLinker(cfg.Engine), linked: linkedImports{defined: map[string]bool{}},
		stdout: cfg.Stdout, stderr: cfg.Stderr, outbound: cfg.Outbound,
		guestTimeLimit: cfg.GuestTimeLimit, maxMemory: cfg.MaxInstanceMemory,
	}
	h.Slots = capi.NewSlots(cfg.InstanceLimit)
	return h, nil
}

// Close releases the Linker.
func (h *Host) Close() {
	h.Wait()
	h.registrations.close()
	if h.linker != nil {
		h.linker.Close()
		h.linker = nil
	}
}

// InstancesInUse is how many instance slots requests hold now (always 0
// without a limit).
func (h *Host) InstancesInUse() int { return h.Slots.InUse() }

// InstanceLimit is how many instances may exist at once; 0: no limit.
func (h *Host) InstanceLimit() int { return h.Slots.Limit() }

// Component is one component's compiled module with what its requests
// need.
type Component struct {
	ID     string
	Module *wasmtime.Module
	// Typed says that the module's canonical ABI exports have exactly the
	// types the host calls them with, so calls skip wasmtime's type check
	// (set by the Spin executor; see capi.CallEach).
	Typed    bool
	Env      [][2]string // sorted by name
	Preopens []Preopen
	// The capabilities its imports reach.
	Config       *variables.Config
	KeyValue     *keyvalue.Access
	AllowedHosts *network.AllowedHosts
	SQLite       *sqlite.Access
	LLM          *llm.Engine
	Redis        *redis.Access
	// Postgres and MySQL are outbound-pg's and outbound-mysql's.
	Postgres, MySQL *rdbms.Access
	// upgraded replaces Module for new instances (see Upgrade, UpgradeTo).
	upgraded atomic.Pointer[upgradedCode]
	// pre is the module in use with its imports resolved, made by the
	// first Instantiate (when the Host's linker is complete).
	pre atomic.Pointer[resolvedModule]
	// sampledOn is the Host on which an instance of c was last sampled
	// for memoryUse (memoryuse.go).
	sampledOn atomic.Pointer[Host]
	memoryUse memoryUse
	// wasi caches importsWASI.
	wasi     sync.Once
	usesWASI bool
}

// importsWASI reports whether c's module imports any WASI function
// (wasi_snapshot_preview1, wasi_unstable).
func (c *Component) importsWASI() bool {
	c.wasi.Do(func() {
		for _, imp := range c.CurrentModule().Imports() {
			if strings.HasPrefix(imp.Module(), "wasi_") {
				c.usesWASI = true
				return
			}
		}
	})
	return c.usesWASI
}

// resolvedModule is a module and its InstancePre.
type resolvedModule struct {
	module *wasmtime.Module
	pre    *capi.InstancePre
}

// upgradedCode is a module compiled again and, when it belongs to another
// engine than Module's, the Host of that engine.
type upgradedCode struct {
	module *wasmtime.Module
	host   *Host
}

// Upgrade makes later instances of c use m, the same module compiled again
// (optimised code in place of the fast code it was loaded with). Instances
// made before keep theirs, which must stay loaded while they live.
func (c *Component) Upgrade(m *wasmtime.Module) { c.upgraded.Store(&upgradedCode{module: m}) }

// UpgradeTo is Upgrade for m compiled for host's engine (optimised code in
// place of Winch's): later Stores for c are host's, whatever Host their
// executor asks; host must link what c's Host links for it (PrepareUpgrade).
func (c *Component) UpgradeTo(host *Host, m *wasmtime.Module) {
	c.upgraded.Store(&upgradedCode{module: m, host: host})
}

// PrepareUpgrade makes h link c's module as from does, for a later
// UpgradeTo(h, …): the unsupported Spin 0.8 imports from defined for it.
// It may be called while h serves (a trigger's module loaded after Load).
func (h *Host) PrepareUpgrade(from *Host, c *Component) error {
	from.linkMu.RLock()
	defined := from.defined08[c]
	from.linkMu.RUnlock()
	if !defined {
		return nil
	}
	return h.DefineUnsupported08Imports(c)
}

// ReleaseResolved releases c's imports resolved for one of ms, code of a
// Host whose Stores are all closed (a retired Host's: the module c was
// loaded with, the code a tier-up moved it to): the resolution holds its
// module's engine, and so its instance pool, until released. (Once a Store
// of c's new code has replaced it, it is garbage.)
func (c *Component) ReleaseResolved(ms ...*wasmtime.Module) {
	r := c.pre.Load()
	if r != nil && slices.Contains(ms, r.module) && c.pre.CompareAndSwap(r, nil) {
		r.pre.Close()
	}
}

// CurrentModule is the module a new instance of c runs: Module, or the
// code it was upgraded to (Module may then be closed).
func (c *Component) CurrentModule() *wasmtime.Module {
	m, _ := c.code(nil)
	return m
}

// code is the module that a new instance of c runs and the Host whose
// engine it belongs to: h unless c was upgraded to another.
func (c *Component) code(h *Host) (*wasmtime.Module, *Host) {
	u := c.upgraded.Load()
	if u == nil {
		return c.Module, h
	}
	if u.host != nil {
		h = u.host
	}
	return u.module, h
}

// Instantiate instantiates c's module in store.
func (h *Host) Instantiate(store *Store, c *Component) (*wasmtime.Instance, error) {
	inst := new(wasmtime.Instance)
	if err := h.InstantiateInto(store, c, inst); err != nil {
		return nil, err
	}
	return inst, nil
}

// InstantiateInto instantiates c's module in store into inst: the module
// store was made for, through the linker of store's Host (see UpgradeTo).
func (h *Host) InstantiateInto(store *Store, c *Component, inst *wasmtime.Instance) error {
	return h.InstantiateExporting(store, c, inst, nil, nil)
}

// InstantiateExporting is InstantiateInto and then, when names is not nil,
// Store.LookupExports of names into out, in one cgo call where it can.
func (*Host) InstantiateExporting(store *Store, c *Component, inst *wasmtime.Instance, names *capi.ExportNames, out *capi.Exports) error {
	m, h := store.module, store.host
	held := c.pre.Load()
	r := held
	if r == nil || r.module != m {
		if err := h.linkImports(m); err != nil {
			return err
		}
		h.linkMu.RLock()
		pre, err := capi.NewInstancePre(h.linker, m)
		h.linkMu.RUnlock()
		if err != nil {
			// Linker.Instantiate reports what cannot be linked.
			linked, err := h.instantiateLinked(store, m)
			if err != nil {
				return err
			}
			*inst = *linked
			if names != nil {
				store.LookupExports(inst, names, out)
			}
			c.sampleMemory(store, inst)
			return nil
		}
		r = &resolvedModule{module: m, pre: pre}
		if !c.pre.CompareAndSwap(held, r) {
			// Another Store's resolution came first and is kept: this one
			// serves this instance only, and is released now rather than
			// holding m's engine until collected.
			defer pre.Close()
		}
	}
	var err error
	if names != nil {
		err = r.pre.InstantiateExporting(store.cx, inst, names, out)
	} else {
		err = r.pre.InstantiateIn(store.cx, inst)
	}
	if err != nil {
		return fmt.Errorf("instantiate: %w", capi.TrimNative(err))
	}
	c.sampleMemory(store, inst)
	return nil
}

// instantiateLinked instantiates m in store through the linker.
func (h *Host) instantiateLinked(store *Store, m *wasmtime.Module) (*wasmtime.Instance, error) {
	h.linkMu.RLock()
	inst, err := h.linker.Instantiate(store, m)
	h.linkMu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("instantiate: %w", capi.TrimNative(err))
	}
	return inst, nil
}

// LookupFunc returns inst's exported function name, or nil.
func (h *Host) LookupFunc(store wasmtime.Storelike, inst *wasmtime.Instance, name string) *wasmtime.Func {
	return capi.LookupFunc(store, inst, name)
}
