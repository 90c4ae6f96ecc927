package wasip2

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spinoci/spinoci/engine/capability/keyvalue"
	"github.com/spinoci/spinoci/engine/capability/mqtt"
	"github.com/spinoci/spinoci/engine/capability/redis"
	"github.com/spinoci/spinoci/engine/internal/capi"
)

// Versions of the interfaces this host defines. Wasmtime matches an import
// of any 0.2.x against the 0.2.x defined here.
const (
	wasiVersion = "@0.2.6"
	spinVersion = "@2.0.0"
)

// Resource type ids of the resources this host implements.
const (
	tyError uint32 = iota + 1
	tyPollable
	tyInputStream
	tyOutputStream
	tyDescriptor
	tyDirEntryStream
	tyTerminalInput
	tyTerminalOutput
	tyFields
	tyIncomingRequest
	tyOutgoingRequest
	tyRequestOptions
	tyResponseOutparam
	tyIncomingResponse
	tyIncomingBody
	tyFutureTrailers
	tyOutgoingResponse
	tyOutgoingBody
	tyFutureIncomingResponse
	tyKVStore
	tySQLiteConnection
	tyKVBucket
	tyKVCas
	tyRedisConnection
	tyMQTTConnection
	tyNetwork
	tyResolveAddressStream
	tyTCPSocket
	tyPostgresConnection
	tyMySQLConnection
	tyPostgres3Connection
	// tyFirstStub is the first id given to resources only linked.
	tyFirstStub
)

// Mount is a host directory exposed read-only to the guest at GuestPath.
type Mount struct {
	HostPath, GuestPath string
}

// Variables resolves application variables for a component (the
// variables capability: *variables.Config).
type Variables interface {
	// Get returns the variable's value; errors wrap variables.ErrUndefined
	// or variables.ErrInvalidName when those apply.
	Get(ctx context.Context, name string) (string, error)
}

// KeyValue opens the component's key-value stores (the key-value
// capability: *keyvalue.Access).
type KeyValue interface {
	// Open returns the store labelled label; errors wrap
	// keyvalue.ErrNoSuchStore or keyvalue.ErrAccessDenied when those apply.
	Open(ctx context.Context, label string) (KVStore, error)
}

// KVStore is an open key-value store of the key-value capability.
type KVStore = keyvalue.Store

// OutboundPolicy decides which outbound HTTP requests a component may make
// (the outbound networking capability: *network.AllowedHosts).
type OutboundPolicy interface {
	AllowedURL(u *url.URL) bool
	// AllowsSelf reports whether requests without an authority (to the
	// app itself) are allowed.
	AllowsSelf() bool
}

// Config is what a component's guests see.
type Config struct {
	// Stdout and Stderr receive guest output; nil discards.
	Stdout, Stderr io.Writer
	// Env is the guest environment, as name/value pairs.
	Env [][2]string
	// Mounts are exposed read-only, as preopens.
	Mounts []Mount
	// Variables, KeyValue and Outbound may be nil: the corresponding calls
	// then fail with the interface's error.
	Variables Variables
	KeyValue  KeyValue
	Outbound  OutboundPolicy
	// SQLite and LLM may be nil too (every database, every model denied).
	SQLite SQLite
	LLM    LLM
	// Redis and MQTT may be nil too (every address denied).
	Redis Redis
	MQTT  MQTT
	// Sockets decides which wasi:sockets connections are allowed; nil
	// denies every one.
	Sockets SocketPolicy
	// Postgres and MySQL may be nil too (every address denied).
	Postgres, MySQL RDBMS
	// HTTPClient sends allowed outbound requests; nil means a default one.
	HTTPClient *http.Client
	// GuestTimeLimit bounds how long one request's guest code may run
	// (time spent waiting in host calls excluded); zero means no limit. It
	// is enforced at epoch deadlines, so the engine's epoch must advance
	// (see capi.Engine.IncrementEpoch).
	GuestTimeLimit time.Duration
	// MaxInstanceMemory caps each linear memory of a request's instances
	// in bytes: memory.grow beyond it fails. Zero means no cap.
	MaxInstanceMemory int64
}

// Host defines the interfaces into a linker.
type Host struct {
	cfg Config
}

// NewHost returns a Host for cfg.
func NewHost(cfg Config) *Host {
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 0}
	}
	return &Host{cfg: cfg}
}

// fn is a host function body that sees the request state.
type fn func(st *State, args []capi.Val) ([]capi.Val, error)

// iface collects the Go implementations of one interface.
type iface struct {
	name  string
	funcs map[string]fn
	types map[string]uint32 // resource name → type id
	drops map[string]func(st *State, rep uint32)
}

func newIface(name string) *iface {
	return &iface{name: name, funcs: map[string]fn{}, types: map[string]uint32{}, drops: map[string]func(*State, uint32){}}
}

// Define links every interface of the table into l: Go implementations where
// this host has them, traps naming the function elsewhere.
func (h *Host) Define(l *capi.Linker) error {
	impls := map[string]*iface{}
	for _, i := range h.interfaces() {
		impls[i.name] = i
	}
	for _, i := range rcInterfaces(impls) {
		impls[i.name] = i
	}
	root := l.Root()
	defer root.Close()
	nextStub := tyFirstStub
	lines := strings.Split(strings.TrimSpace(interfaceTable), "\n")
	lines = append(lines, strings.Split(strings.TrimSpace(rcInterfaceTable), "\n")...)
	for _, line := range lines {
		parts := strings.SplitN(line, "|", 3)
		name := parts[0]
		impl := impls[name]
		if impl == nil {
			impl = newIface(name)
		}
		li, err := root.Instance(name)
		if err != nil {
			return err
		}
		if parts[1] != "" {
			for _, res := range strings.Split(parts[1], ",") {
				ty, ok := impl.types[res]
				if !ok {
					ty, nextStub = nextStub, nextStub+1
				}
				drop := impl.drops[res]
				err := li.AddResource(res, ty, func(cx *capi.Context, rep uint32) error {
					st := stateOf(cx)
					if drop != nil {
						drop(st, rep)
					}
					st.table.remove(rep)
					return nil
				})
				if err != nil {
					li.Close()
					return err
				}
			}
		}
		for _, f := range strings.Fields(parts[2]) {
			if err := li.AddFunc(f, h.wrap(name, f, impl.funcs[f])); err != nil {
				li.Close()
				return err
			}
		}
		li.Close()
	}
	return nil
}

// wrap adapts an implementation (or its absence) to a capi.HostFunc.
func (h *Host) wrap(ifaceName, name string, f fn) capi.HostFunc {
	if f == nil {
		return func(*capi.Context, []capi.Val) ([]capi.Val, error) {
			return nil, fmt.Errorf("%s#%s is not supported by containerd-shim-spinoci-v1", ifaceName, name)
		}
	}
	return func(cx *capi.Context, args []capi.Val) ([]capi.Val, error) {
		st := stateOf(cx)
		entered := time.Now()
		out, err := f(st, args)
		st.hostTime += time.Since(entered)
		if err != nil {
			return nil, fmt.Errorf("%s#%s: %w", ifaceName, name, err)
		}
		return out, nil
	}
}

// interfaces returns the Go-implemented interfaces.
func (h *Host) interfaces() []*iface {
	out := []*iface{
		ioError(), ioPoll(), ioStreams(),
		cliEnvironment(), cliExit(), cliStdio("stdin"), cliStdio("stdout"), cliStdio("stderr"),
		clocksMonotonic(), clocksWall(),
		randomIface("random"), randomIface("insecure"), randomSeed(),
		fsTypes(), fsPreopens(),
		httpTypes(), httpOutgoing(),
		spinVariables(), spinKeyValue(), spin1Config(), spin1KeyValue(),
		spinSQLite(), spinLLM(), wasiConfigStore(),
		spinRedis(), spin1Redis(), spinMQTT(),
		wasiKVStore(), wasiKVAtomics(), wasiKVBatch(),
	}
	out = append(out, cliTerminal()...)
	out = append(out, rdbmsInterfaces()...)
	return append(out, socketsNetwork()...)
}

// State is the host state of one Store: its resource table and, while
// serving, the HTTP exchange.
type State struct {
	ctx   context.Context
	start time.Time // origin of the monotonic clock
	host  *Host
	table table
	// exchange is the incoming request being served, if any.
	exchange *exchange
	// kvOpen counts open key-value stores; kv1 are the unversioned
	// interface's.
	kvOpen int
	kv1    kv1Stores
	// sqlOpen counts open SQLite connections; rdbmsOpen Postgres and
	// MySQL ones.
	sqlOpen, rdbmsOpen int
	// redis and mqtt are the outbound connections, made on first use.
	redis   *redis.Connections
	mqtt    *mqtt.Connections
	sockets socketState
	// roots are the mounts opened for this store, closed with it.
	roots []*os.Root
	// hostTime is the time spent in host calls: not guest time.
	hostTime time.Duration
	// exit is the status the guest passed to wasi:cli/exit, if it did.
	exit *int
}

// EpochDeadline stops the guest once the request is over (its context is
// done) or its guest time passed the limit; otherwise it lets it run one
// more tick.
func (st *State) EpochDeadline() (uint64, error) {
	if st.ctx.Err() != nil {
		return 0, fmt.Errorf("guest interrupted: %w", context.Cause(st.ctx))
	}
	limit := st.host.cfg.GuestTimeLimit
	if ran := time.Since(st.start) - st.hostTime; limit > 0 && ran > limit {
		return 0, fmt.Errorf("guest interrupted: it ran for %v, over the limit of %v", ran.Round(time.Millisecond), limit)
	}
	return 1, nil
}

// NewState returns the data for a new Store.
func (h *Host) NewState(ctx context.Context) *State {
	return &State{ctx: ctx, start: time.Now(), host: h, table: table{items: map[uint32]any{}}}
}

func stateOf(cx *capi.Context) *State { return cx.Data().(*State) }

// table holds a Store's host resources by representation.
type table struct {
	items map[uint32]any
	next  uint32
}

func (t *table) push(v any) uint32 {
	t.next++
	t.items[t.next] = v
	return t.next
}

func (t *table) remove(rep uint32) {
	if c, ok := t.items[rep].(interface{ close() }); ok {
		c.close()
	}
	delete(t.items, rep)
}

// own returns a new owned handle of type ty for v.
func (st *State) own(ty uint32, v any) capi.Resource {
	return capi.Resource{Type: ty, Rep: st.table.push(v), Owned: true}
}
