package engine

import (
	"io"
	"time"

	"github.com/spinoci/spinoci/engine/runtimeconfig"
)

// Defaults applied to zero Config fields.
const (
	DefaultMaxRequestBodySize = 10 << 20
	DefaultShutdownTimeout    = 10 * time.Second
	DefaultOutboundTimeout    = 30 * time.Second
	DefaultPoolRenewIdle      = 30 * time.Second
)

// Config configures an App.
type Config struct {
	// Stdout and Stderr receive the guests' stdout and stderr (WAGI stdout
	// excepted: it is the response). Nil discards. Guest output reaches them
	// through an OS pipe per stream and App, copied by a goroutine.
	Stdout, Stderr io.Writer
	// CacheDir, when set, holds serialized compiled modules keyed by the
	// wasm's sha256 and the engine configuration. Created if missing.
	CacheDir string
	// CacheOnly, with CacheDir, only loads compiled code from the cache:
	// Load fails with an error matching ErrNotCached where it would compile
	// (a process that must not write the cache; see capi.LoadCachedModule).
	CacheOnly bool
	// MaxRequestBodySize bounds request bodies; larger ones get 413.
	// Zero means DefaultMaxRequestBodySize.
	MaxRequestBodySize int64
	// ShutdownTimeout bounds how long Serve waits for in-flight requests
	// after its context is cancelled; it then interrupts them. Zero means
	// DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle that long; zero
	// means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included (a slow
	// body is cut); zero means DefaultReadTimeout.
	ReadTimeout time.Duration
	// MaxConnections bounds concurrent connections; more wait in the
	// listen backlog. Zero means DefaultMaxConnections().
	MaxConnections int
	// NetHTTPFront serves HTTP through net/http even where the fast front
	// could (an app whose routes all run Spin 1.x modules; fastfront.go).
	NetHTTPFront bool
	// TempDir is where single-file mounts are staged; empty means
	// os.TempDir().
	TempDir string
	// Env is the container's environment ("NAME=value"): application
	// variables are resolved from <NAME>, SPIN_VARIABLE_<NAME> and
	// SPIN_CONFIG_<NAME> (NAME upper-cased), in that order.
	Env []string
	// StateDir holds the app's persistent state: the SQLite file
	// (KVFileName) of the "default" key-value store and the "default"
	// SQLite database (sqlite.DefaultFileName). Empty means they live in
	// memory and end with the App.
	StateDir string
	// OutboundTimeout bounds each outbound HTTP request of a guest,
	// response body included. Zero means DefaultOutboundTimeout.
	OutboundTimeout time.Duration
	// RuntimeConfigFile, when set, is Spin's runtime config (TOML): its
	// key_value_store, sqlite_database, variables_provider/config_provider
	// and llm_compute sections; any other section fails the load.
	RuntimeConfigFile string
	// RuntimeConfigName is RuntimeConfigFile's path in the container whose
	// runtime config it is: its paths are then the container's, reached
	// through RuntimeConfigVolumes. "" means the file and its paths are
	// the host's.
	RuntimeConfigName    string
	RuntimeConfigVolumes []runtimeconfig.Volume
	// PoolRenewIdle is how long no component may have run before the App
	// gives back the memory its components' instance pool kept from busier
	// moments (renew.go). Zero means DefaultPoolRenewIdle; negative never,
	// and the core modules' pool is not renewed to fit their memory reset
	// either (memoryreset.go).
	PoolRenewIdle time.Duration
}

func (c Config) withDefaults() Config {
	if c.MaxRequestBodySize <= 0 {
		c.MaxRequestBodySize = DefaultMaxRequestBodySize
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.OutboundTimeout <= 0 {
		c.OutboundTimeout = DefaultOutboundTimeout
	}
	if c.PoolRenewIdle == 0 {
		c.PoolRenewIdle = DefaultPoolRenewIdle
	}
	return c
}
